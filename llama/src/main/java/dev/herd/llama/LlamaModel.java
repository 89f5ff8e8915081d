package dev.herd.llama;

import dev.herd.common.Gaussian;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraTarget;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The Llama 3.1 decoder: embeddings, pre-norm blocks of grouped-query attention and SwiGLU, final RMSNorm and
 * the LM head. Every stage of Herd (reward model, sampling, SFT, DPO, evals) runs over this one class.
 *
 * <p>Arrays computed by a forward pass belong to the manager of the batch passed in; callers run each step in
 * an {@link ai.djl.ndarray.NDScope} or a sub-manager they close, so long loops keep memory flat. Parameters
 * live in the model's own manager, on its device.
 */
public final class LlamaModel implements AutoCloseable {

    /** Query block of full passes without gradients over rows longer than this (see {@link KvCache#blockwise}). */
    static final int BLOCKWISE_QUERIES = 256;

    private final LlamaConfig config;
    private final NDManager manager;
    private final NDArray embed;                // [vocab, hidden]
    private final List<DecoderLayer> layers;
    private final NDArray norm;                 // [hidden]
    private final NDArray lmHead;               // [vocab, hidden]; the same array as embed when tied
    private final NDArray invFreq;              // [headDim/2] RoPE inverse frequencies, not trained
    private final NDArray eps;                  // 0-d RMSNorm epsilon, made once (a Java number costs a tensor per call)
    private final Map<String, NDArray> parameters;
    private volatile LoraAdapters adapters;     // null: the base alone
    private VectorWeights vectorWeights;        // the Java decoding path's copy of the weights, made on first use

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> byName, List<NDArray[]> fused) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(byName);
        this.embed = byName.get("model.embed_tokens.weight");
        this.norm = byName.get("model.norm.weight");
        this.lmHead = config.tieWordEmbeddings() ? embed : byName.get("lm_head.weight");
        List<DecoderLayer> list = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String[] names = DecoderLayer.names(i);
            NDArray[] w = new NDArray[names.length];
            for (int j = 0; j < names.length; j++) {
                w[j] = byName.get(names[j]);
            }
            list.add(DecoderLayer.of(w, fused.get(i)[0], fused.get(i)[1]));
        }
        this.layers = List.copyOf(list);
        this.eps = Tensors.scalar(manager, (float) config.rmsNormEps());
        this.invFreq = manager.create(Rope.inverseFrequencies(config.headDim(), config.ropeTheta(), config.ropeScaling()));
    }

    /** The HF tensor names and shapes a checkpoint of {@code config} must hold, in HF's order. */
    public static Map<String, long[]> expectedTensors(LlamaConfig config) {
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", new long[] {config.vocabSize(), config.hiddenSize()});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String[] names = DecoderLayer.names(i);
            long[][] shapes = DecoderLayer.shapes(config);
            for (int j = 0; j < names.length; j++) {
                out.put(names[j], shapes[j]);
            }
        }
        out.put("model.norm.weight", new long[] {config.hiddenSize()});
        if (!config.tieWordEmbeddings()) {
            out.put("lm_head.weight", new long[] {config.vocabSize(), config.hiddenSize()});
        }
        return out;
    }

    /** Supplies one tensor's fp32 values by HF name. */
    @FunctionalInterface
    public interface TensorSource {
        float[] read(String name, long[] expectedShape);
    }

    /**
     * Builds a model from named fp32 tensors (a checkpoint), on {@code device}.
     *
     * @param source gives the values of each expected tensor; it reports missing tensors and wrong shapes
     */
    public static LlamaModel fromTensors(LlamaConfig config, TensorSource source, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : expectedTensors(config).entrySet()) {
                byName.put(e.getKey(), null);          // HF order; filled below
            }
            List<NDArray[]> fused = new ArrayList<>();
            long[][] shapes = DecoderLayer.shapes(config);
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                String[] names = DecoderLayer.names(i);
                fused.add(new NDArray[] {stacked(manager, source, names, shapes, DecoderLayer.QKV, byName),
                        stacked(manager, source, names, shapes, DecoderLayer.GATE_UP, byName)});
            }
            for (Map.Entry<String, long[]> e : expectedTensors(config).entrySet()) {
                if (byName.get(e.getKey()) == null) {
                    NDArray array = manager.create(source.read(e.getKey(), e.getValue()), new Shape(e.getValue()));
                    array.setName(e.getKey());
                    byName.put(e.getKey(), array);
                }
            }
            return new LlamaModel(config, manager, byName, fused);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * One array holding the tensors at {@code which} stacked along rows, each registered in {@code byName} as a
     * view of its rows.
     */
    private static NDArray stacked(NDManager manager, TensorSource source, String[] names, long[][] shapes, int[] which,
                                   Map<String, NDArray> byName) {
        long rows = 0;
        long cols = shapes[which[0]][1];
        float[][] parts = new float[which.length][];
        for (int j = 0; j < which.length; j++) {
            parts[j] = source.read(names[which[j]], shapes[which[j]]);
            rows += shapes[which[j]][0];
        }
        float[] all = new float[Math.toIntExact(rows * cols)];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        NDArray whole = manager.create(all, new Shape(rows, cols));
        long start = 0;
        for (int j : which) {
            NDArray view = whole.get("{}:{}", start, start + shapes[j][0]);          // shares whole's memory
            view.setName(names[j]);
            byName.put(names[j], view);
            start += shapes[j][0];
        }
        return whole;
    }

    /**
     * A freshly initialised model: every matrix ~ N(0, std²), norms 1, drawn in Java from {@code seed} so the
     * same seed gives the same weights on any device.
     */
    public static LlamaModel random(LlamaConfig config, long seed, double std, Device device) {
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, long[]> shapes = expectedTensors(config);
        return fromTensors(config, (name, shape) -> {
            int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            float[] values = new float[n];
            if (name.endsWith("norm.weight") || name.endsWith("layernorm.weight")) {
                Arrays.fill(values, 1f);
                return values;
            }
            // One stream per tensor, split in a fixed order, so a tensor's values don't depend on the others' sizes.
            SplittableRandom r = root.split();
            for (int i = 0; i < n; i++) {
                values[i] = (float) (Gaussian.next(r) * std);
            }
            return values;
        }, device);
    }

    public LlamaConfig config() {
        return config;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** A manager on the model's device for one step's arrays; close it (or use an NDScope) when done. */
    public NDManager newStepManager() {
        return manager.newSubManager();
    }

    /**
     * The Java decoding path for one sequence at a time ({@link VectorDecoder}), with its own scratch over a copy of
     * the weights made at the first call and shared by later ones until {@link #requireGradients} is called (the
     * only way Herd's trainers change weights in place). Null where libtorch must decode: the JVM lacks the Vector
     * API module (or has {@code -Dherd.vectorDecode=false}), the model is not on the CPU, has LoRA adapters, is
     * training, or its weights would take more than a quarter of the heap.
     */
    public synchronized VectorDecoder vectorDecoder() {
        if (!VectorDecoder.available() || !device().equals(Device.cpu()) || adapters != null
                || layers.get(0).wq().hasGradient() || !VectorWeights.fits(embed, lmHead, layers)) {
            return null;
        }
        if (vectorWeights == null) {
            vectorWeights = VectorWeights.copyOf(embed, lmHead, norm, invFreq, layers);
        }
        return new VectorDecoder(config, vectorWeights);
    }

    /** Trainable arrays by HF name, in HF order (a tied LM head appears once, as the embedding). */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /**
     * Adds {@code a}'s low-rank updates to the projections they target in every later forward (null: the base
     * alone). The base weights are untouched; {@link #parameters()} stays the base's.
     */
    public void useAdapters(LoraAdapters a) {
        this.adapters = a;
    }

    /** The adapters this model adds, or null. */
    public LoraAdapters adapters() {
        return adapters;
    }

    /** Runs {@code body} on the base alone (adapters disabled), then restores them: DPO's reference model with LoRA. */
    public <T> T withoutAdapters(Supplier<T> body) {
        LoraAdapters saved = adapters;
        adapters = null;
        try {
            return body.get();
        } finally {
            adapters = saved;
        }
    }

    /** Turns gradient tracking of every parameter on or off. */
    public synchronized void requireGradients(boolean on) {
        vectorWeights = null;                   // training may change the weights: the Java path's copy is stale
        parameters.values().forEach(p -> p.setRequiresGradient(on));
    }

    /**
     * The final hidden states (after the last RMSNorm) of {@code batch}.
     *
     * @return [batch, seq, hidden], in the batch's manager
     */
    public NDArray hiddenStates(TokenBatch batch, KvCache cache) {
        NDManager m = batch.ids().getManager();
        long b = batch.batchSize();
        long t = batch.length();
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray x = embed.get(m, new NDIndex("{}", batch.ids()));              // [b, t, hidden]
        NDArray[] cs = Rope.tables(batch.positions(), invFreq);               // [b, 1, t, d] each: cos, signed sin
        // When the weights need no gradient (sampling, scoring, reference passes, LoRA training on a frozen base)
        // the stacked projections run as one matmul each; a full fine-tune keeps the HF tensors apart, each a leaf
        // with its own gradient. Adapters add their updates to each projection's part either way.
        boolean fused = !layers.get(0).wq().hasGradient();
        LoraAdapters lora = adapters;
        if (cache == KvCache.NONE && t > BLOCKWISE_QUERIES && !JniUtils.isGradMode()) {
            // Long rows outside training: queries in blocks, so no [b, heads, t, t] scores or mask ever exist
            // (under a gradient collector autograd would keep every block's scores anyway).
            cache = KvCache.blockwise(BLOCKWISE_QUERIES);
        } else if (cache == KvCache.NONE) {
            // Every layer sees the same mask and scale: built once per forward, not once per layer.
            NDArray mask = Attention.mask(batch.docIds(), batch.docIds());  // [b, 1, t, t]
            NDArray scale = Tensors.scalar(m, (float) (1.0 / Math.sqrt(d)));
            cache = (layer, q, k, v, bt) -> Attention.attend(q, k, v, mask, scale);
        }
        for (int i = 0; i < layers.size(); i++) {
            DecoderLayer l = layers.get(i);
            NDArray h = rmsNorm(x, l.inputNorm());
            NDArray q;
            NDArray k;
            NDArray v;
            if (fused) {
                NDArray projected = linear(h, l.qkv());                         // [b, t, (heads+2kv)·d]
                if (lora != null) {
                    NDList parts = projected.split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
                    projected = NDArrays.concat(new NDList(lora.addTo(i, LoraTarget.Q, h, parts.get(0)),
                            lora.addTo(i, LoraTarget.K, h, parts.get(1)), lora.addTo(i, LoraTarget.V, h, parts.get(2))), 2);
                }
                NDList qkv = headsFirst(projected, b, t, heads + 2L * kvHeads, d)
                        .split(new long[] {heads + kvHeads}, 1);               // [b, heads+kv, t, d], [b, kv, t, d]
                NDList qk = Rope.apply(qkv.get(0), cs[0], cs[1]).split(new long[] {heads}, 1);
                q = qk.get(0);                                                  // [b, heads, t, d]
                k = qk.get(1);                                                  // [b, kv, t, d]
                v = qkv.get(1);                                                 // [b, kv, t, d]
            } else {
                q = Rope.apply(headsFirst(project(lora, i, LoraTarget.Q, h, l.wq()), b, t, heads, d), cs[0], cs[1]);   // [b, heads, t, d]
                k = Rope.apply(headsFirst(project(lora, i, LoraTarget.K, h, l.wk()), b, t, kvHeads, d), cs[0], cs[1]); // [b, kv, t, d]
                v = headsFirst(project(lora, i, LoraTarget.V, h, l.wv()), b, t, kvHeads, d);                            // [b, kv, t, d]
            }
            NDArray a = cache.attend(i, q, k, v, batch);                      // [b, heads, t, d]
            a = (t == 1 ? a : a.transpose(0, 2, 1, 3)).reshape(b, t, (long) heads * d);   // one token: the same layout
            x = x.add(project(lora, i, LoraTarget.O, a, l.wo()));
            h = rmsNorm(x, l.postNorm());
            NDArray g;
            NDArray u;
            if (fused) {
                NDList gu = linear(h, l.gateUp()).split(2, 2);                  // [b, t, ffn] each, strided views
                if (lora != null) {
                    // Re-stacked and split again so the gate stays a strided view as without adapters: libtorch's
                    // sigmoid rounds differently on a contiguous array, and B = 0 must leave the base bit for bit.
                    gu = NDArrays.concat(new NDList(lora.addTo(i, LoraTarget.GATE, h, gu.get(0)),
                            lora.addTo(i, LoraTarget.UP, h, gu.get(1))), 2).split(2, 2);
                }
                g = gu.get(0);
                u = gu.get(1);
            } else {
                g = project(lora, i, LoraTarget.GATE, h, l.gate());
                u = project(lora, i, LoraTarget.UP, h, l.up());
            }
            NDArray act = g.mul(Activation.sigmoid(g)).mul(u);                  // SwiGLU: silu(gate) · up
            x = x.add(project(lora, i, LoraTarget.DOWN, act, l.down()));
        }
        cache.advance(batch);
        return rmsNorm(x, norm);
    }

    /** Logits over the vocabulary: [batch, seq, vocab]. */
    public NDArray forward(TokenBatch batch, KvCache cache) {
        return logits(hiddenStates(batch, cache));
    }

    /** Full-attention forward (no cache). */
    public NDArray forward(TokenBatch batch) {
        return forward(batch, KvCache.NONE);
    }

    /** Hidden states [.., hidden] to logits [.., vocab]. */
    public NDArray logits(NDArray hidden) {
        return linear(hidden, lmHead);
    }

    /**
     * log p(target | prefix) of each token, without keeping the whole [batch, seq, vocab] log-softmax: the LM
     * head runs over chunks of positions, each reduced to one number per token before the next.
     *
     * @param hidden  [batch, seq, hidden] from {@link #hiddenStates}
     * @param targets [batch, seq] int64 ids whose log-probability to read at each position
     * @return [batch, seq] fp32
     */
    public NDArray tokenLogProbs(NDArray hidden, NDArray targets) {
        long b = hidden.getShape().get(0);
        long t = hidden.getShape().get(1);
        long chunk = Math.max(1, (32L << 20) / Math.max(1, b * config.vocabSize())); // ≤ 32M logits at a time
        NDList parts = new NDList();
        for (long start = 0; start < t; start += chunk) {
            long end = Math.min(t, start + chunk);
            NDArray h = hidden.get(":, {}:{}", start, end);
            NDArray tg = targets.get(":, {}:{}", start, end).expandDims(-1);
            parts.add(logits(h).logSoftmax(-1).gather(tg, -1).squeeze(-1));
        }
        return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
    }

    /**
     * log p(target) at the chosen positions only: {@code positions[i]} indexes the flattened [batch × time]
     * hidden states. Losses that count a few tokens per row (SFT answers, DPO responses) skip the LM head
     * everywhere else, which with a 128k vocabulary is most of a small model's compute. Returns [n].
     */
    public NDArray tokenLogProbsAt(NDArray hidden, long[] positions, long[] targets) {
        if (positions.length != targets.length) {
            throw new IllegalArgumentException(positions.length + " positions for " + targets.length + " targets");
        }
        NDManager m = hidden.getManager();
        long d = hidden.getShape().get(2);
        int n = positions.length;
        if (n == 0) {
            return m.zeros(new Shape(0), hidden.getDataType(), hidden.getDevice());
        }
        NDArray flat = hidden.reshape(-1, d);
        NDArray picked = flat.gather(m.create(positions).reshape(n, 1).repeat(1, d), 0);  // [n, d]
        NDArray tg = m.create(targets);
        long chunk = Math.max(1, (32L << 20) / Math.max(1, config.vocabSize()));
        NDList parts = new NDList();
        for (long start = 0; start < n; start += chunk) {
            long end = Math.min(n, start + chunk);
            NDArray h = picked.get("{}:{}", start, end);
            parts.add(logits(h).logSoftmax(-1).gather(tg.get("{}:{}", start, end).expandDims(-1), -1).squeeze(-1));
        }
        return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 0);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray rms = x.square().mean(new int[] {-1}, true).add(eps).sqrt();
        return x.div(rms).mul(weight);
    }

    /**
     * A block's projection {@code x Wᵀ}, plus the update of {@code lora}'s adapter for it (the adapters the forward
     * read once at its start; null: none).
     */
    private static NDArray project(LoraAdapters lora, int layer, LoraTarget target, NDArray x, NDArray w) {
        NDArray y = linear(x, w);
        return lora == null ? y : lora.addTo(layer, target, x, y);
    }

    /**
     * [b, t, heads·d] → [b, heads, t, d]. With one token per row the two layouts hold the same bytes in the same
     * order, so a reshape does it without a transpose (one libtorch call less per layer and decoding step).
     */
    private static NDArray headsFirst(NDArray x, long b, long t, long heads, long d) {
        return t == 1 ? x.reshape(b, heads, 1, d) : x.reshape(b, t, heads, d).transpose(0, 2, 1, 3);
    }

    /** x Wᵀ with W in HF's [out, in] layout, as one native call. */
    static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
