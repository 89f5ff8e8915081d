package dev.herd.llama.generate;

import java.nio.FloatBuffer;

/** {@link RowScan} in plain loops, for a JVM without the Vector API (and the tests' reference for the vector one). */
final class ScalarRowScan implements RowScan {

    static final ScalarRowScan INSTANCE = new ScalarRowScan();

    private ScalarRowScan() {}

    @Override
    public float max(float[] x, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[o + i]);
        }
        return max;
    }

    @Override
    public int indexOf(float[] x, int o, int n, float v) {
        for (int i = 0; i < n; i++) {
            if (x[o + i] == v) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public float copyMax(FloatBuffer src, int so, int n, float[] dst) {
        src.get(so, dst, 0, n);
        return max(dst, 0, n);
    }

    @Override
    public double weights(float[] logits, int lo, int n, float max, float inverseTemperature, float[] w, int wo,
                          RowBlocks blocks) {
        blocks.reset(n);
        double total = 0;
        for (int i = 0; i < n; i++) {
            w[wo + i] = Float.isFinite(max) ? (float) Math.exp((logits[lo + i] - max) * inverseTemperature) : 0f;
            total += w[wo + i];
            blocks.add(i, w[wo + i]);
        }
        return total;
    }

    @Override
    public int walk(float[] w, int wo, int n, float v, int j, double target, RowBlocks blocks) {    // reads every weight
        double cum = 0;
        int last = -1;
        for (int i = 0; i < n; i++) {
            float x = w[wo + i];
            if (x > v || (x == v && i < j)) {
                cum += x;
                last = i;
                if (cum > target) {
                    return i;
                }
            }
        }
        return last;
    }

    @Override
    public Ahead ahead(float[] w, int wo, int n, int t, boolean count, RowBlocks blocks, double limit) {  // reads all
        float v = w[wo + t];
        double mass = 0;
        int c = 0;
        for (int i = 0; i < n; i++) {
            float x = w[wo + i];
            if (x > v || (x == v && i < t)) {
                mass += x;
                c++;
            }
        }
        return new Ahead(mass, count ? c : 0);
    }
}
