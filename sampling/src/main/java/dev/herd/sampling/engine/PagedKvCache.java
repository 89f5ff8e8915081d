package dev.herd.sampling.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.herd.llama.Attention;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.TokenBatch;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * vLLM-style paged KV cache: per layer one pool of fixed-size blocks ([slots, kvHeads, headDim] for keys and
 * for values), shared by every sequence through its {@link BlockTable}. Before each forward the engine
 * {@link #plan}s the step (which slots the new tokens go to and which each row reads); the decoder then calls
 * {@link #attend} layer by layer.
 */
final class PagedKvCache implements KvCache, AutoCloseable {

    private final NDManager manager;
    private final BlockPool pool;
    private final NDArray[] pools;    // per layer [slots, 2·kvHeads, headDim]: keys, then values
    private NDIndex write;            // this step's slots of the new tokens: [b·t] int64, or a range (see plan)
    private NDIndex read;             // this step's slots each row reads: [b·s] int64, or a range
    private long width;               // s: keys per row this step
    private NDArray mask;             // [b, 1, t, s] additive, this step's; null when nothing is hidden
    private NDArray scale;            // 0-d 1/√headDim
    private FloatBuffer[] views;      // per layer the pool's memory, read and written in place by VectorDecoder

    public PagedKvCache(NDManager parent, LlamaConfig config, BlockPool pool, Device device) {
        this.manager = parent.newSubManager(device);
        this.pool = pool;
        int layers = config.numHiddenLayers();
        Shape shape = new Shape(pool.slots(), 2L * config.numKeyValueHeads(), config.headDim());
        pools = new NDArray[layers];
        for (int i = 0; i < layers; i++) {
            pools[i] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    /**
     * Every layer's pool as a buffer over libtorch's memory ([slots, 2·kvHeads, headDim], CPU only), for
     * {@link dev.herd.llama.VectorDecoder}: what it writes there the libtorch steps read, and the other way round.
     * Null when a layer's pool is over 2 GB, the most one Java buffer can address: libtorch decodes then.
     */
    public FloatBuffer[] views() {
        if (pools[0].size() * Float.BYTES > Integer.MAX_VALUE) {
            return null;
        }
        if (views == null) {
            views = new FloatBuffer[pools.length];
            for (int i = 0; i < pools.length; i++) {
                views[i] = ((PtNDArray) pools[i]).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
        }
        return views;
    }

    public BlockPool pool() {
        return pool;
    }

    /** Copy-on-write of a whole block, every layer. */
    public void copyBlock(int from, int to) {
        int bs = pool.blockSize();
        try (NDManager tmp = manager.newSubManager()) {
            NDIndex src = new NDIndex("{}:{}", from * bs, from * bs + bs);
            NDIndex dst = new NDIndex("{}:{}", to * bs, to * bs + bs);
            for (NDArray p : pools) {
                p.set(dst, p.get(tmp, src));
            }
        }
    }

    /**
     * Sets up the next forward, in the step's manager: row i attends to the tokens in {@code reads[i]} (its
     * cached ones, then its new ones last), and its new tokens (at most {@code t}; shorter rows are left-padded)
     * go to {@code newSlots[i]}.
     *
     * @param reads    per row, the slots it attends to, in order
     * @param newSlots per row, the slots of its new tokens (the last entries of its reads)
     */
    public void plan(NDManager step, List<int[]> reads, List<int[]> newSlots, int t) {
        int b = reads.size();
        int s = reads.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] w = new long[b * t];
        long[] r = new long[b * s];
        int[] docs = new int[b * s];
        int[] queryDocs = new int[b * t];
        boolean padded = false;
        for (int i = 0; i < b; i++) {
            int[] ns = newSlots.get(i);
            int offset = t - ns.length;           // rows with fewer new tokens are left-padded, like their queries
            for (int j = 0; j < t; j++) {
                w[i * t + j] = j >= offset ? ns[j - offset] : j % pool.blockSize();   // padding writes into the scratch block 0
                queryDocs[i * t + j] = j >= offset ? 0 : -1;
            }
            int[] slots = reads.get(i);
            int pad = s - slots.length;
            padded |= pad > 0 || ns.length < t;
            for (int j = 0; j < s; j++) {
                boolean real = j >= pad;
                r[i * s + j] = real ? slots[j - pad] : 0;
                docs[i * s + j] = real ? 0 : -1;
            }
        }
        // One row whose slots are one run (a sequence that grew alone: the pool hands out the lowest free block
        // first) reads its keys and values in place through a slice, and writes its new ones through one: no
        // gather copying its whole history every layer and step, no scatter.
        if (b == 1 && consecutive(r) && consecutive(w)) {
            write = new NDIndex("{}:{}", w[0], w[0] + t);
            read = new NDIndex("{}:{}", r[0], r[0] + s);
        } else {
            write = new NDIndex("{}", step.create(w));
            read = new NDIndex("{}", step.create(r));
        }
        width = s;
        scale = dev.herd.llama.Tensors.scalar(step, (float) (1.0 / Math.sqrt(pools[0].getShape().get(2))));
        // Every layer sees the same mask: built once per step, and not at all when one new token per row attends
        // to rows of equal length (decoding a batch that started together): every key is then visible.
        mask = t == 1 && !padded ? null : Attention.mask(step.create(queryDocs, new Shape(b, t)), step.create(docs, new Shape(b, s)));
    }

    private static boolean consecutive(long[] slots) {
        for (int i = 1; i < slots.length; i++) {
            if (slots[i] != slots[0] + i) {
                return false;
            }
        }
        return true;
    }

    @Override
    public NDArray attend(int layer, NDArray q, NDArray k, NDArray v, TokenBatch batch) {
        return PagedAttention.attend(q, k, v, pools[layer], write, read, width, mask, scale);
    }

    @Override
    public void close() {
        manager.close();
    }
}
