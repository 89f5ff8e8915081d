package dev.herd.sampling.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's view of the paged KV cache: the blocks holding its tokens, in order, and how many tokens
 * are cached. Forking shares every block (the K samples of a prompt); appending into a shared block first
 * copies it (copy-on-write), so a fork never overwrites what its siblings read.
 */
final class BlockTable {

    /** Copies one block's keys and values (every layer) into another. */
    public interface BlockCopier {
        void copy(int from, int to);
    }

    private final BlockPool pool;
    private final List<Integer> blocks = new ArrayList<>();
    private int length;
    private boolean released;

    public BlockTable(BlockPool pool) {
        this.pool = pool;
    }

    /** Tokens cached. */
    public int length() {
        return length;
    }

    public List<Integer> blocks() {
        return List.copyOf(blocks);
    }

    /** A sequence that shares all of this one's blocks and tokens. */
    public BlockTable fork() {
        BlockTable t = new BlockTable(pool);
        for (int b : blocks) {
            pool.retain(b);
            t.blocks.add(b);
        }
        t.length = length;
        return t;
    }

    /**
     * Makes room for {@code n} more tokens: allocates blocks as needed and copies a shared last block before it
     * is written to. Returns the storage slots (block · blockSize + offset) the new tokens go to.
     */
    public int[] append(int n, BlockCopier copier) {
        int bs = pool.blockSize();
        if (length % bs != 0 && n > 0) {
            int last = blocks.size() - 1;
            int shared = blocks.get(last);
            if (pool.refCount(shared) > 1) {
                int own = pool.allocate();
                copier.copy(shared, own);
                pool.release(shared);
                blocks.set(last, own);
            }
        }
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            int pos = length + i;
            if (pos / bs >= blocks.size()) {
                blocks.add(pool.allocate());
            }
            slots[i] = blocks.get(pos / bs) * bs + pos % bs;
        }
        length += n;
        return slots;
    }

    /** The storage slot of every cached token, in order. */
    public int[] slots() {
        int bs = pool.blockSize();
        int[] out = new int[length];
        for (int p = 0; p < length; p++) {
            out[p] = blocks.get(p / bs) * bs + p % bs;
        }
        return out;
    }

    /** Blocks this sequence may still allocate to reach {@code total} tokens (a shared partial last block counts). */
    public int blocksStillNeeded(int total) {
        int bs = pool.blockSize();
        int need = pool.blocksFor(total) - blocks.size();
        if (length % bs != 0 && !blocks.isEmpty() && pool.refCount(blocks.get(blocks.size() - 1)) > 1 && total > length) {
            need++;
        }
        return Math.max(0, need);
    }

    /** Returns every block reference; the table is empty afterwards. */
    public void release() {
        if (released) {
            return;
        }
        for (int b : blocks) {
            pool.release(b);
        }
        blocks.clear();
        length = 0;
        released = true;
    }
}
