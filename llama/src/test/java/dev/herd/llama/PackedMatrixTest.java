package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The packed matrix–vector product against a plain double-precision loop over the row-major matrix. */
class PackedMatrixTest {

    @Test
    void productsMatchThePlainLoopForEveryShapeAroundTheTileAndColumnEdges() {
        Random r = new Random(5);
        for (int rows : new int[] {1, 7, 15, 16, 17, 33, 250}) {
            for (int cols : new int[] {1, 3, 4, 5, 64, 70}) {
                check(r, rows, cols);
            }
        }
    }

    @Test
    void aMatrixLargeEnoughToSplitOverTheCoresGivesTheSameProduct() {
        Random r = new Random(6);
        check(r, 1100, 70);                       // 77,000 floats: over the split threshold
        check(r, 4784, 256);                      // the 5.1M config's LM head
    }

    @Test
    void aBatchsProductsMatchThePlainLoopForEveryBatchSizeAndTileCount() {
        Random r = new Random(8);
        for (int rows : new int[] {5, 16, 40, 48, 4784}) {          // one short tile; 1, 3 (odd) and 299 tiles
            for (int batch : new int[] {1, 3, 4, 5, 8, 33}) {
                int cols = rows == 4784 ? 64 : 7;
                float[] w = randoms(r, rows * cols);
                float[] xs = randoms(r, batch * cols);
                float[] ys = new float[batch * rows + 5];
                Arrays.fill(ys, 42f);
                PackedMatrix.of(FloatBuffer.wrap(w), rows, cols).times(xs, batch, ys);
                for (int b = 0; b < batch; b++) {
                    for (int o = 0; o < rows; o++) {
                        double expected = 0;
                        double scale = 0;
                        for (int k = 0; k < cols; k++) {
                            expected += (double) w[o * cols + k] * xs[b * cols + k];
                            scale += Math.abs((double) w[o * cols + k] * xs[b * cols + k]);
                        }
                        assertEquals(expected, ys[b * rows + o], 1e-6 * scale + 1e-7,
                                rows + " rows, batch " + batch + ": vector " + b + ", row " + o);
                    }
                }
                for (int i = batch * rows; i < ys.length; i++) {
                    assertEquals(42f, ys[i], "past the batch's outputs");
                }
            }
        }
    }

    @Test
    void rowsPastTheMatrixInTheOutputAreLeftAlone() {
        Random r = new Random(7);
        float[] w = randoms(r, 17 * 9);
        PackedMatrix m = PackedMatrix.of(FloatBuffer.wrap(w), 17, 9);
        float[] y = new float[40];
        Arrays.fill(y, 42f);
        m.times(randoms(r, 9), y);
        for (int i = 17; i < y.length; i++) {
            assertEquals(42f, y[i], "y[" + i + "]");
        }
    }

    private static void check(Random r, int rows, int cols) {
        float[] w = randoms(r, rows * cols);
        float[] x = randoms(r, cols);
        PackedMatrix m = PackedMatrix.of(FloatBuffer.wrap(w), rows, cols);
        float[] y = new float[rows];
        m.times(x, y);
        for (int o = 0; o < rows; o++) {
            double expected = 0;
            double scale = 0;
            for (int k = 0; k < cols; k++) {
                expected += (double) w[o * cols + k] * x[k];
                scale += Math.abs((double) w[o * cols + k] * x[k]);
            }
            assertEquals(expected, y[o], 1e-6 * scale + 1e-7, rows + "x" + cols + " row " + o);
        }
    }

    private static float[] randoms(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
