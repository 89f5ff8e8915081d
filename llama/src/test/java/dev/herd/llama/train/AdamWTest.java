package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** torch.optim.AdamW's update written out in double for one scalar. */
    static double[] reference(double p, double[] grads, double lr, double wd, boolean decay) {
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, m = 0, v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            if (decay) {
                p *= 1 - lr * wd;
            }
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double mHat = m / (1 - Math.pow(b1, t));
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
            p -= lr * mHat / denom * 1.0;
            out[t - 1] = p;
        }
        return out;
    }

    @Test
    void matchesTorchAdamWStepByStep() {
        double[] grads = {0.5, -1.5, 0.25, 2.0};
        double lr = 0.01;
        double wd = 0.1;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w.weight", m.create(new float[] {1.0f, -2.0f}));
            params.put("input_layernorm.weight", m.create(new float[] {1.0f}));
            AdamW opt = new AdamW(m, params, AdamW::isMatrixName, 0.9, 0.999, 1e-8, wd);
            double[] expW0 = reference(1.0, grads, lr, wd, true);
            double[] expW1 = reference(-2.0, new double[] {-0.5, 1.5, -0.25, -2.0}, lr, wd, true);
            double[] expN = reference(1.0, grads, lr, wd, false);
            for (int t = 0; t < grads.length; t++) {
                Map<String, NDArray> g = new LinkedHashMap<>();
                g.put("w.weight", m.create(new float[] {(float) grads[t], (float) -grads[t]}));
                g.put("input_layernorm.weight", m.create(new float[] {(float) grads[t]}));
                opt.update(g, lr);
                float[] w = params.get("w.weight").toFloatArray();
                assertEquals(expW0[t], w[0], 1e-6, "w[0] after step " + (t + 1));
                assertEquals(expW1[t], w[1], 1e-6, "w[1] after step " + (t + 1));
                assertEquals(expN[t], params.get("input_layernorm.weight").getFloat(0), 1e-6, "norm weight: no decay");
            }
            assertEquals(4, opt.step());
        }
    }

    @Test
    void restoredStateContinuesIdentically() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = new LinkedHashMap<>();
            a.put("x.weight", m.create(new float[] {0.3f, 0.7f}));
            AdamW first = new AdamW(m, a, n -> true, 0.9, 0.999, 1e-8, 0.01);
            first.update(Map.of("x.weight", m.create(new float[] {1f, -1f})), 0.1);
            Map<String, float[]> saved = new LinkedHashMap<>();
            first.state().forEach((k, v) -> saved.put(k, v.toFloatArray()));

            Map<String, NDArray> b = new LinkedHashMap<>();
            b.put("x.weight", m.create(a.get("x.weight").toFloatArray()));
            AdamW second = new AdamW(m, b, n -> true, 0.9, 0.999, 1e-8, 0.01);
            second.load(saved, first.step());
            first.update(Map.of("x.weight", m.create(new float[] {0.2f, 0.4f})), 0.1);
            second.update(Map.of("x.weight", m.create(new float[] {0.2f, 0.4f})), 0.1);
            float[] x = a.get("x.weight").toFloatArray();
            float[] y = b.get("x.weight").toFloatArray();
            assertEquals(x[0], y[0], 0f);
            assertEquals(x[1], y[1], 0f);
        }
    }
}
