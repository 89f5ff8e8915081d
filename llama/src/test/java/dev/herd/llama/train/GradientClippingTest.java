package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    @Test
    void clipsByGlobalNormAcrossTensors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 0f});
            NDArray b = m.create(new float[] {4f});
            double norm = GradientClipping.clip(List.of(a, b), 1.0);
            assertEquals(5.0, norm, 1e-6);
            assertArrayEquals(new float[] {0.6f, 0f}, a.toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0.8f}, b.toFloatArray(), 1e-5f);
            GradientClipping.clip(List.of(a, b), 10.0);
            assertArrayEquals(new float[] {0.6f, 0f}, a.toFloatArray(), 1e-5f);
        }
    }
}
