package dev.herd.llama;

import java.util.Map;

/**
 * An independent reference implementation of the Llama 3.1 forward pass: plain loops in double precision,
 * written from the paper and HF's modeling code, sharing nothing with the production path.
 */
public final class NaiveLlama {

    private final LlamaConfig c;
    private final Map<String, float[]> w;
    private final double[] invFreq;

    public NaiveLlama(LlamaConfig config, Map<String, float[]> weights) {
        this.c = config;
        this.w = weights;
        this.invFreq = inverseFrequencies(config);
    }

    /** HF's llama3 rope parameters, transcribed in double with its torch.where structure. */
    static double[] inverseFrequencies(LlamaConfig c) {
        int dim = c.headDim();
        double[] inv = new double[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            inv[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / dim);
        }
        RopeScaling s = c.ropeScaling();
        if (s == null) {
            return inv;
        }
        double lowWave = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWave = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        double[] out = new double[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            double llama = wavelen > lowWave ? inv[i] / s.factor() : inv[i];
            double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                    / (s.highFreqFactor() - s.lowFreqFactor());
            double smoothed = (1 - smooth) * llama / s.factor() + smooth * llama;
            boolean medium = !(wavelen < highWave) && !(wavelen > lowWave);
            out[i] = medium ? smoothed : llama;
        }
        return out;
    }

    /**
     * Logits [seq][vocab] of one row; token j is visible from token i when j ≤ i, doc[j] == doc[i] and
     * doc[j] ≥ 0. Rows of padding queries are returned but meaningless.
     */
    public double[][] logits(int[] ids, int[] pos, int[] doc) {
        int t = ids.length;
        int h = c.hiddenSize();
        int d = c.headDim();
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int groups = heads / kvHeads;
        float[] emb = w.get("model.embed_tokens.weight");
        double[][] x = new double[t][h];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = emb[ids[i] * h + j];
            }
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            String p = "model.layers." + layer + ".";
            double[][] hn = rmsNorm(x, w.get(p + "input_layernorm.weight"));
            double[][] q = matVec(hn, w.get(p + "self_attn.q_proj.weight"), heads * d);
            double[][] k = matVec(hn, w.get(p + "self_attn.k_proj.weight"), kvHeads * d);
            double[][] v = matVec(hn, w.get(p + "self_attn.v_proj.weight"), kvHeads * d);
            for (int i = 0; i < t; i++) {
                for (int hh = 0; hh < heads; hh++) {
                    rotate(q[i], hh * d, pos[i]);
                }
                for (int hh = 0; hh < kvHeads; hh++) {
                    rotate(k[i], hh * d, pos[i]);
                }
            }
            double[][] attn = new double[t][heads * d];
            for (int i = 0; i < t; i++) {
                for (int hh = 0; hh < heads; hh++) {
                    int kv = hh / groups;
                    double[] scores = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        if (doc[j] < 0 || doc[j] != doc[i]) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += q[i][hh * d + e] * k[j][kv * d + e];
                        }
                        scores[j] = s / Math.sqrt(d);
                        max = Math.max(max, scores[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // a padding query: nothing visible
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        z += Math.exp(scores[j] - max);
                    }
                    for (int j = 0; j <= i; j++) {
                        double pj = Math.exp(scores[j] - max) / z;
                        for (int e = 0; e < d; e++) {
                            attn[i][hh * d + e] += pj * v[j][kv * d + e];
                        }
                    }
                }
            }
            add(x, matVec(attn, w.get(p + "self_attn.o_proj.weight"), h));
            hn = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"));
            double[][] gate = matVec(hn, w.get(p + "mlp.gate_proj.weight"), c.intermediateSize());
            double[][] up = matVec(hn, w.get(p + "mlp.up_proj.weight"), c.intermediateSize());
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < c.intermediateSize(); j++) {
                    double g = gate[i][j];
                    gate[i][j] = g / (1 + Math.exp(-g)) * up[i][j];
                }
            }
            add(x, matVec(gate, w.get(p + "mlp.down_proj.weight"), h));
        }
        double[][] out = rmsNorm(x, w.get("model.norm.weight"));
        float[] head = c.tieWordEmbeddings() ? emb : w.get("lm_head.weight");
        return matVec(out, head, c.vocabSize());
    }

    private void rotate(double[] vec, int offset, int position) {
        int half = c.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * invFreq[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = vec[offset + i];
            double b = vec[offset + i + half];
            vec[offset + i] = a * cos - b * sin;
            vec[offset + i + half] = b * cos + a * sin;
        }
    }

    private double[][] rmsNorm(double[][] x, float[] weight) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ss = 0;
            for (double v : x[i]) {
                ss += v * v;
            }
            double scale = 1.0 / Math.sqrt(ss / x[i].length + c.rmsNormEps());
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j] * scale * weight[j];
            }
        }
        return out;
    }

    /** y[i][o] = Σ_k x[i][k] · W[o][k], W stored row-major [out, in]. */
    private static double[][] matVec(double[][] x, float[] weight, int outDim) {
        int in = x[0].length;
        double[][] y = new double[x.length][outDim];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < outDim; o++) {
                double s = 0;
                int base = o * in;
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * weight[base + k];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }
}
