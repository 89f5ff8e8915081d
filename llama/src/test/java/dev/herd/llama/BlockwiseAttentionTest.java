package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Attention in blocks of queries ({@link Attention#attendBlockwise}) gives attend()'s values at every real query:
 * packed documents, padding, grouped heads, queries with a past, block sizes that do not divide the row.
 */
class BlockwiseAttentionTest {

    static final int B = 2;
    static final int HEADS = 4;
    static final int KV = 2;
    static final int D = 8;

    static NDArray random(NDManager m, Random r, long... shape) {
        int n = (int) new Shape(shape).size();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1.5 * r.nextGaussian());   // spread enough that the softmax is peaked
        }
        return m.create(v, new Shape(shape));
    }

    /** Document ids [2, keys]: row 0 three packed documents, row 1 one document then padding. */
    static int[] docs(int keys) {
        int[] d = new int[B * keys];
        for (int i = 0; i < keys; i++) {
            d[i] = i < keys / 4 ? 0 : i < (3 * keys) / 4 ? 1 : 2;
            d[keys + i] = i < keys - 7 ? 0 : -1;
        }
        return d;
    }

    /** Largest difference at real queries (document id ≥ 0); padding queries see no key and nothing reads them. */
    static double maxDiffAtRealQueries(NDArray a, NDArray b, int[] queryDocs, int t) {
        float[] x = a.toFloatArray();   // [B, HEADS, t, D]
        float[] y = b.toFloatArray();
        double worst = 0;
        for (int row = 0; row < B; row++) {
            for (int h = 0; h < HEADS; h++) {
                for (int i = 0; i < t; i++) {
                    if (queryDocs[row * t + i] < 0) {
                        continue;
                    }
                    for (int j = 0; j < D; j++) {
                        int at = ((row * HEADS + h) * t + i) * D + j;
                        worst = Math.max(worst, Math.abs(x[at] - y[at]));
                    }
                }
            }
        }
        return worst;
    }

    @Test
    void blocksOfQueriesGiveAttendsValues() {
        Random r = new Random(7);
        for (int[] ts : new int[][] {{37, 37}, {20, 50}}) {      // {queries, keys}: a plain row, and queries with a past
            int t = ts[0];
            int s = ts[1];
            int[] keyDocs = docs(s);
            int[] queryDocs = new int[B * t];
            for (int row = 0; row < B; row++) {
                System.arraycopy(keyDocs, row * s + s - t, queryDocs, row * t, t);
            }
            for (int block : new int[] {1, 5, 16, t, 64}) {
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    NDArray q = random(m, r, B, HEADS, t, D);
                    NDArray k = random(m, r, B, KV, s, D);
                    NDArray v = random(m, r, B, KV, s, D);
                    NDArray qd = m.create(queryDocs, new Shape(B, t));
                    NDArray kd = m.create(keyDocs, new Shape(B, s));
                    NDArray want = Attention.attend(q, k, v, Attention.mask(qd, kd));
                    NDArray got = Attention.attendBlockwise(q, k, v, qd, kd, block);
                    assertEquals(want.getShape(), got.getShape());
                    assertEquals(DataType.FLOAT32, got.getDataType());
                    double diff = maxDiffAtRealQueries(want, got, queryDocs, t);
                    assertTrue(diff < 1e-5, "t " + t + ", s " + s + ", block " + block + ": max difference " + diff);
                }
            }
        }
    }

    @Test
    void aDecoderWithBlockwiseAttentionGivesTheSameLogits() {
        LlamaConfig config = LlamaConfig.of(32, 64, 2, 4, 2, 97, null, false);
        Random r = new Random(3);
        try (LlamaModel model = LlamaModel.fromTensors(config, (name, shape) -> LlamaModelTest.randomWeights(config, 5).get(name),
                Device.cpu()); NDManager m = model.newStepManager()) {
            List<List<int[]>> rows = new ArrayList<>();
            rows.add(List.of(LlamaModelTest.randomIds(r, 40, 97), LlamaModelTest.randomIds(r, 50, 97)));
            rows.add(List.of(LlamaModelTest.randomIds(r, 70, 97)));
            TokenBatch batch = TokenBatch.packed(m, rows, 90, 0);
            float[] want = model.logits(model.hiddenStates(batch, KvCache.NONE)).toFloatArray();      // [2, 90, 97]
            float[] got = model.logits(model.hiddenStates(batch, KvCache.blockwise(16))).toFloatArray();
            int[] docs = batch.docIds().toIntArray();
            double worst = 0;
            for (int pos = 0; pos < docs.length; pos++) {
                if (docs[pos] < 0) {
                    continue;
                }
                for (int j = 0; j < 97; j++) {
                    worst = Math.max(worst, Math.abs(want[pos * 97 + j] - got[pos * 97 + j]));
                }
            }
            assertTrue(worst < 1e-5, "max logit difference " + worst);
        }
    }
}
