package dev.herd.llama;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A [rows, cols] weight matrix laid out for {@link VectorDecoder}'s matrix–vector products: rows in tiles of one
 * vector's width (16 with AVX-512), and each tile stored column by column, the tile's rows side by side. The
 * product then reads the array front to back, one stream, and each output is a lane of an accumulator, so no
 * sum is ever reduced across lanes.
 *
 * <p>Why: the row-major product (four rows at a time, each row's dot product reduced at its end) reads four streams
 * 4·cols bytes apart inside the same few pages, which the CPU's prefetcher does not follow: measured on the
 * 2-core machine it drew 6–8 GB/s out of the L3 cache where the same bytes read in order came at 25–35 GB/s, and
 * the Java step of the 5.1M model is nothing but such products (2.1–2.5 → 0.5–0.6 ms a step on one core). With
 * 64 columns (the demo's 128k-row LM head) the per-row reductions cost more than the reads; here there are none.
 * A tile short of its rows is zero-padded.
 *
 * @param tiles [⌈rows/lanes⌉, cols, lanes]
 */
record PackedMatrix(float[] tiles, int rows, int cols) {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    /** Matrix size (floats) from which {@link #times(float[], float[])} splits the rows over the cores. */
    private static final long PARALLEL_FLOATS = 1 << 16;

    /** Floats the packed form of a [rows, cols] matrix takes (for the heap budget). */
    static long size(long rows, long cols) {
        return (rows + LANES - 1) / LANES * LANES * cols;
    }

    /** Packs a row-major [rows, cols] matrix read from {@code source} (positioned at its first value). */
    static PackedMatrix of(FloatBuffer source, int rows, int cols) {
        float[] tiles = new float[Math.toIntExact(size(rows, cols))];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            source.get(row);
            int at = r / LANES * LANES * cols + r % LANES;        // column 0 of row r inside its tile
            for (int k = 0; k < cols; k++) {
                tiles[at + k * LANES] = row[k];
            }
        }
        return new PackedMatrix(tiles, rows, cols);
    }

    /**
     * y = w·x, the tiles split over the CPU's cores ({@link CoreTeam}) when the matrix is large enough to repay
     * the hand-off (~1 µs): one core alone does not draw all the memory bandwidth these products need.
     *
     * @param x [cols] (read up to cols)
     * @param y [rows], overwritten
     */
    void times(float[] x, float[] y) {
        overTiles(tiles.length, (from, to) -> times(x, y, from, to));
    }

    /** The tiles from ≤ t &lt; to of a product. */
    private interface TileRange {
        void run(int from, int to);
    }

    /**
     * Runs {@code range} over every tile: split over the cores ({@link CoreTeam}) when the product's {@code work}
     * (floats of weight times vectors) repays the hand-off, else at once on this thread.
     */
    private void overTiles(long work, TileRange range) {
        int count = (rows + LANES - 1) / LANES;
        CoreTeam team = CoreTeam.shared();
        if (team.size() < 2 || work < PARALLEL_FLOATS || count < 2 * team.size()) {
            range.run(0, count);
            return;
        }
        team.run((part, parts) -> {
            int per = (count + parts - 1) / parts;
            range.run(Math.min(count, part * per), Math.min(count, (part + 1) * per));
        });
    }

    /**
     * ys = xs·wᵀ for a batch of {@code batch} vectors: each tile is read once from memory for the whole batch and
     * stays in the L1 cache while eight vectors at a time run down its columns (eight accumulators in flight).
     * The tiles are split over the cores as in {@link #times(float[], float[])}.
     *
     * @param xs [batch, cols]
     * @param ys [batch, rows], overwritten
     */
    void times(float[] xs, int batch, float[] ys) {
        overTiles((long) tiles.length * batch, (from, to) -> times(xs, batch, ys, from, to));
    }

    /**
     * The tiles from ≤ t &lt; to, two at a time against four of the batch's vectors: at each column two weight
     * vectors are loaded and four inputs broadcast for eight FMAs (eight accumulators in flight), so each tile pair
     * (2 × 16 × cols floats) stays in the L1 cache while the whole batch runs down it.
     */
    private void times(float[] xs, int batch, float[] ys, int from, int to) {
        int fours = batch & ~3;
        int t = from;
        for (; t + 2 <= to; t += 2) {
            int p = t * cols * LANES;                             // tile t; tile t + 1 follows it
            int q = p + cols * LANES;
            int r = t * LANES;
            for (int b = 0; b < fours; b += 4) {
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                FloatVector c0 = a0;
                FloatVector c1 = a0;
                FloatVector c2 = a0;
                FloatVector c3 = a0;
                int x = b * cols;
                for (int k = 0; k < cols; k++) {
                    FloatVector w = FloatVector.fromArray(S, tiles, p + k * LANES);
                    FloatVector v = FloatVector.fromArray(S, tiles, q + k * LANES);
                    FloatVector x0 = FloatVector.broadcast(S, xs[x + k]);
                    FloatVector x1 = FloatVector.broadcast(S, xs[x + cols + k]);
                    FloatVector x2 = FloatVector.broadcast(S, xs[x + 2 * cols + k]);
                    FloatVector x3 = FloatVector.broadcast(S, xs[x + 3 * cols + k]);
                    a0 = w.fma(x0, a0);
                    c0 = v.fma(x0, c0);
                    a1 = w.fma(x1, a1);
                    c1 = v.fma(x1, c1);
                    a2 = w.fma(x2, a2);
                    c2 = v.fma(x2, c2);
                    a3 = w.fma(x3, a3);
                    c3 = v.fma(x3, c3);
                }
                store(a0, ys, b, r);
                store(a1, ys, b + 1, r);
                store(a2, ys, b + 2, r);
                store(a3, ys, b + 3, r);
                store(c0, ys, b, r + LANES);
                store(c1, ys, b + 1, r + LANES);
                store(c2, ys, b + 2, r + LANES);
                store(c3, ys, b + 3, r + LANES);
            }
            for (int b = fours; b < batch; b++) {                 // the batch's last vectors, short of four
                one(xs, b, ys, t);
                one(xs, b, ys, t + 1);
            }
        }
        for (; t < to; t++) {                                     // an odd tile left over
            for (int b = 0; b < batch; b++) {
                one(xs, b, ys, t);
            }
        }
    }

    /** Tile t against the batch's vector b alone. */
    private void one(float[] xs, int b, float[] ys, int t) {
        FloatVector a = FloatVector.zero(S);
        for (int k = 0, i = t * cols * LANES; k < cols; k++, i += LANES) {
            a = FloatVector.fromArray(S, tiles, i).fma(FloatVector.broadcast(S, xs[b * cols + k]), a);
        }
        store(a, ys, b, t * LANES);
    }

    /** Rows r.. of output vector b of ys [batch, rows]; fewer than a vector's width at the matrix's end. */
    private void store(FloatVector sum, float[] ys, int b, int r) {
        if (r + LANES <= rows) {
            sum.intoArray(ys, b * rows + r);
        } else {
            sum.intoArray(ys, b * rows + r, S.indexInRange(r, rows));
        }
    }

    /**
     * y's rows of the tiles from ≤ t &lt; to: each tile's column k, times x[k], added into the tile's accumulators
     * (four of them, over every fourth column, so that consecutive FMAs do not wait on each other).
     */
    void times(float[] x, float[] y, int from, int to) {
        int quads = cols & ~3;
        for (int t = from; t < to; t++) {
            int i = t * cols * LANES;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int k = 0;
            for (; k < quads; k += 4, i += 4 * LANES) {
                a0 = FloatVector.fromArray(S, tiles, i).fma(FloatVector.broadcast(S, x[k]), a0);
                a1 = FloatVector.fromArray(S, tiles, i + LANES).fma(FloatVector.broadcast(S, x[k + 1]), a1);
                a2 = FloatVector.fromArray(S, tiles, i + 2 * LANES).fma(FloatVector.broadcast(S, x[k + 2]), a2);
                a3 = FloatVector.fromArray(S, tiles, i + 3 * LANES).fma(FloatVector.broadcast(S, x[k + 3]), a3);
            }
            for (; k < cols; k++, i += LANES) {
                a0 = FloatVector.fromArray(S, tiles, i).fma(FloatVector.broadcast(S, x[k]), a0);
            }
            store(a0.add(a1).add(a2.add(a3)), y, 0, t * LANES);
        }
    }
}
