package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A contiguous cache of every row's keys and values, for incremental decoding of a fixed batch
 * ({@code herd generate}, evaluation). Buffers are allocated once at full length and written in place, so a
 * decoding step creates no long-lived arrays and can run inside the caller's per-step scope.
 */
public final class DenseKvCache implements KvCache, AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;    // per layer [batch, kvHeads, capacity, headDim]
    private final NDArray[] values;  // per layer [batch, kvHeads, capacity, headDim]
    private final NDArray docs;      // [batch, capacity] int32 document id of each cached token, -1 = empty/pad
    private final int capacity;
    private int length;

    public DenseKvCache(NDManager parent, LlamaConfig config, int batch, int capacity) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        int layers = config.numHiddenLayers();
        Shape shape = new Shape(batch, config.numKeyValueHeads(), capacity, config.headDim());
        keys = new NDArray[layers];
        values = new NDArray[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(shape, DataType.FLOAT32);
            values[i] = manager.zeros(shape, DataType.FLOAT32);
        }
        docs = manager.full(new Shape(batch, capacity), -1, DataType.INT32);
    }

    /** Tokens cached so far per row (padding included). */
    public int length() {
        return length;
    }

    @Override
    public NDArray attend(int layer, NDArray q, NDArray k, NDArray v, TokenBatch batch) {
        int t = batch.length();
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > " + capacity);
        }
        NDIndex slot = new NDIndex(":, :, {}:{}", length, length + t);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex upTo = new NDIndex(":, :, :{}", length + t);
        NDManager step = q.getManager();
        NDArray keyDocs = docs.get(step, new NDIndex(":, :{}", length)).concat(batch.docIds(), 1);
        return Attention.attend(q, keys[layer].get(step, upTo), values[layer].get(step, upTo),
                Attention.mask(batch.docIds(), keyDocs));
    }

    @Override
    public void advance(TokenBatch batch) {
        docs.set(new NDIndex(":, {}:{}", length, length + batch.length()), batch.docIds());
        length += batch.length();
    }

    @Override
    public void close() {
        manager.close();
    }
}
