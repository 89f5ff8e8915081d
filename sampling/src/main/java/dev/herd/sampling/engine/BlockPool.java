package dev.herd.sampling.engine;

import java.util.BitSet;

/**
 * The KV cache's blocks: ids handed out from a free set, each with a reference count so that the K samples
 * of a prompt share the prompt's blocks. Block 0 is reserved as the scratch block that padded rows write
 * into and read from, so real blocks are 1..capacity.
 *
 * <p>The lowest free id goes first: a sequence that grows alone (one chat, one long prompt) gets consecutive
 * blocks, so its keys and values are one contiguous run of slots that attention reads in place instead of
 * gathering them (see {@link PagedKvCache#plan}).
 */
final class BlockPool {

    private final int blockSize;
    private final int[] refs;
    private final BitSet free = new BitSet();
    private int freeCount;

    /** @param blocks usable blocks (the scratch block comes on top) */
    public BlockPool(int blocks, int blockSize) {
        if (blocks < 1 || blockSize < 1) {
            throw new IllegalArgumentException("a pool needs at least one block of at least one token");
        }
        this.blockSize = blockSize;
        this.refs = new int[blocks + 1];
        free.set(1, blocks + 1);
        freeCount = blocks;
    }

    public int blockSize() {
        return blockSize;
    }

    /** Blocks the pool can hold, the scratch block excluded. */
    public int capacity() {
        return refs.length - 1;
    }

    /** Slots in the underlying storage: every block, scratch included, times the block size. */
    public int slots() {
        return refs.length * blockSize;
    }

    public int freeBlocks() {
        return freeCount;
    }

    public int usedBlocks() {
        return capacity() - freeCount;
    }

    /** A fresh block with one reference: the lowest free id. */
    public int allocate() {
        int id = free.nextSetBit(1);
        if (id < 0) {
            throw new IllegalStateException("KV cache out of blocks (admission should have prevented this)");
        }
        free.clear(id);
        freeCount--;
        refs[id] = 1;
        return id;
    }

    public void retain(int id) {
        if (refs[id] <= 0) {
            throw new IllegalStateException("block " + id + " is not in use");
        }
        refs[id]++;
    }

    /** Drops one reference; the block returns to the free set at zero. */
    public void release(int id) {
        if (refs[id] <= 0) {
            throw new IllegalStateException("block " + id + " released more often than taken");
        }
        if (--refs[id] == 0) {
            free.set(id);
            freeCount++;
        }
    }

    public int refCount(int id) {
        return refs[id];
    }

    /** Blocks needed to hold {@code tokens} tokens. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }
}
