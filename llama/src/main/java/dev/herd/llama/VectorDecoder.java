package dev.herd.llama;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The next-token logits of one sequence, one token at a time, computed in Java over the JDK's Vector API
 * instead of libtorch: the decoding step of a lone row (a single chat, the last sample of a batch).
 *
 * <p>Why it exists: at batch 1 every product is a matrix times one vector. libtorch runs those through MKL's
 * {@code sgemv}, which on AMD CPUs takes MKL's generic path, and each of a step's ~230 libtorch calls costs
 * a few µs more in JNI and DJL wrappers; together that made a step of the 5.1M model 3–5 ms against
 * llama.cpp's ~1 ms. Here a step is a handful of loops over weights already in the Java heap, with no call
 * across JNI. Batches of two rows or more stay on libtorch, whose matrix–matrix products are fast.
 *
 * <p>It reads a copy of the weights in the Java heap ({@link VectorWeights}), made by the model once and shared by
 * its decoders until training changes the weights (see {@link LlamaModel#vectorDecoder()}). LoRA adapters are not
 * applied: a model with adapters decodes on libtorch. Sums run in another order than libtorch's, so logits agree with the
 * libtorch forward to float rounding (~1e-6 relative), not bit for bit.
 *
 * <p>Keys and values live in the caller's paged pool, read and written in place: per layer one
 * {@link FloatBuffer} laid out {@code [slots, 2·kvHeads, headDim]}, the keys' heads then the values'.
 * Not thread-safe: one decoder per decoding thread.
 */
public final class VectorDecoder {

    /** The system property that turns the Java path off ({@code -Dherd.vectorDecode=false}): libtorch decodes. */
    public static final String PROPERTY = "herd.vectorDecode";

    private final VectorWeights w;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ffn;
    private final int vocab;
    private final float eps;

    // Scratch, reused every step.
    private final float[] x;                  // [hidden] the residual stream
    private final float[] h;                  // [hidden] normed input of a sub-block
    private final float[] qkv;                // [(heads + 2·kvHeads)·headDim]
    private final float[] attn;               // [heads·headDim]
    private final float[] gateUp;             // [2·ffn]
    private final float[] act;                // [ffn]
    private final float[] out;                // [hidden]
    private final float[] cos;                // [headDim/2] of this step's position
    private final float[] sin;                // [headDim/2]
    private final float[] logits;             // [vocab] the step's answer, overwritten by the next step
    private float[] batchHidden = new float[0];  // [b, hidden] a batch's final hidden states
    private float[] batchLogits = new float[0];  // [b, vocab] their logits
    private float[] keysValues = new float[0];   // [s, 2·kvHeads, headDim] the row's cache, gathered per layer
    private float[] scores = new float[0];       // [s]

    VectorDecoder(LlamaConfig c, VectorWeights weights) {
        this.w = weights;
        this.hidden = c.hiddenSize();
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.ffn = c.intermediateSize();
        this.vocab = c.vocabSize();
        this.eps = (float) c.rmsNormEps();
        this.x = new float[hidden];
        this.h = new float[hidden];
        this.qkv = new float[(heads + 2 * kvHeads) * headDim];
        this.attn = new float[heads * headDim];
        this.gateUp = new float[2 * ffn];
        this.act = new float[ffn];
        this.out = new float[hidden];
        this.cos = new float[headDim / 2];
        this.sin = new float[headDim / 2];
        this.logits = new float[vocab];
    }

    /**
     * Whether this JVM can run the Java path: started with {@code --add-modules jdk.incubator.vector} (as
     * {@code ./herd} and the tests are) and not turned off by {@link #PROPERTY}.
     */
    public static boolean available() {
        return !"false".equals(System.getProperty(PROPERTY))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Runs {@code token} at {@code position} through the model: its keys and values are written to slot
     * {@code write} of every layer's pool, it attends to the slots in {@code reads} (its cached tokens in order,
     * then {@code write} itself), and the logits of the next token come back.
     *
     * @param pools per layer [slots, 2·kvHeads, headDim]
     * @param reads the slots the token attends to, oldest first, {@code write} last
     * @return [vocab] the decoder's own array, overwritten by its next call: a new 0.5 MB array per step (128k
     *         vocabulary) made the JVM fault in fresh heap pages at every step under a large -Xmx, which took the
     *         demo shape's batch-1 decoding from ~40 to 60–100 ms a run
     */
    public float[] logits(int token, int position, FloatBuffer[] pools, int[] reads, int write) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + vocab);
        }
        System.arraycopy(w.embed(), token * hidden, x, 0, hidden);
        for (int i = 0; i < cos.length; i++) {
            float angle = (float) position * w.invFreq()[i];            // fp32, as libtorch builds its tables
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
        int stride = 2 * kvHeads * headDim;                         // floats per slot
        for (int li = 0; li < w.layers().length; li++) {
            VectorWeights.Layer l = w.layers()[li];
            rmsNorm(x, l.inputNorm(), h);
            l.qkv().times(h, qkv);
            for (int hd = 0; hd < heads + kvHeads; hd++) {           // q heads then k heads: RoPE
                rope(qkv, hd * headDim);
            }
            FloatBuffer pool = pools[li];
            pool.put(write * stride, qkv, heads * headDim, stride);   // k and v of the new token, in place
            attend(pool, reads, stride);
            l.wo().times(attn, out);
            add(x, out);
            rmsNorm(x, l.postNorm(), h);
            l.gateUp().times(h, gateUp);
            for (int i = 0; i < ffn; i++) {
                float g = gateUp[i];
                act[i] = g / (1f + (float) Math.exp(-g)) * gateUp[ffn + i];    // silu(gate) · up
            }
            l.down().times(act, out);
            add(x, out);
        }
        rmsNorm(x, w.norm(), h);
        w.lmHead().times(h, logits);
        return logits;
    }

    /**
     * The LM head of a batch decoded on libtorch: the logits of each row's final hidden state (after the last
     * RMSNorm), in Java over the packed head. On the demo's shape (128k rows × 64) libtorch's {@code sgemm} copied
     * the whole 32 MB weight into its packed form at every call and spent ~60% of a batch-32 step there; the
     * packed copy here is made once.
     *
     * @param hidden [b, hidden] row-major, read from its position
     * @return [b, vocab] the decoder's own array, overwritten by its next call
     */
    public float[] headLogits(FloatBuffer hidden, int b) {
        if (batchHidden.length < b * this.hidden) {
            batchHidden = new float[b * this.hidden];
            batchLogits = new float[Math.multiplyExact(b, vocab)];
        }
        hidden.get(batchHidden, 0, b * this.hidden);
        w.lmHead().times(batchHidden, b, batchLogits);
        return batchLogits;
    }

    /**
     * Runs {@code row.accept(i)} for every row {@code 0 ≤ i < b} of a batch, split over the cores that the head's
     * product just used: the per-row token draws after {@link #headLogits}. Each call must touch only its own row
     * and its own state (a sequence's sampler); rows run in no fixed order. Why: on the demo's shape (32 rows of
     * 128k) the sampled draws took ~2.1 ms a step on one core, 1.2–1.4 on two, while the second core, spinning
     * after the product, sat idle; the argmax rows 0.7 against 0.45–0.6 ms.
     */
    public static void forEachRow(int b, IntConsumer row) {
        CoreTeam team = CoreTeam.shared();
        if (team.size() < 2 || b < 2) {
            for (int i = 0; i < b; i++) {
                row.accept(i);
            }
            return;
        }
        team.run((part, parts) -> {
            for (int i = part; i < b; i += parts) {           // interleaved: a batch's costly rows need not be adjacent
                row.accept(i);
            }
        });
    }

    /** softmax(q·kᵀ/√d)·v of every query head over the row's slots, into {@link #attn}. */
    private void attend(FloatBuffer pool, int[] reads, int stride) {
        int s = reads.length;
        if (keysValues.length < s * stride) {
            keysValues = new float[Math.max(s * stride, 2 * keysValues.length)];
            scores = new float[keysValues.length / stride];
        }
        for (int j = 0; j < s; ) {                                   // runs of consecutive slots, one copy each
            int run = 1;
            while (j + run < s && reads[j + run] == reads[j] + run) {
                run++;
            }
            pool.get(reads[j] * stride, keysValues, j * stride, run * stride);
            j += run;
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int groups = heads / kvHeads;
        Arrays.fill(attn, 0f);
        for (int hq = 0; hq < heads; hq++) {
            int kv = hq / groups;                                    // HF's repeat_kv: query head hq reads kv head hq/groups
            int q = hq * headDim;
            for (int i = 0; i < headDim; i++) {
                qkv[q + i] *= scale;                                 // queries scaled, as Attention.attend does
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                scores[j] = VectorMath.dot(qkv, q, keysValues, j * stride + kv * headDim, headDim);
                max = Math.max(max, scores[j]);
            }
            float sum = 0f;
            for (int j = 0; j < s; j++) {
                scores[j] = (float) Math.exp(scores[j] - max);
                sum += scores[j];
            }
            for (int j = 0; j < s; j++) {
                VectorMath.axpy(scores[j] / sum, keysValues, j * stride + (kvHeads + kv) * headDim, attn, q, headDim);
            }
        }
    }

    /** HF's rotate-half RoPE of the head at {@code at}: (x₁, x₂) → (x₁·cos − x₂·sin, x₂·cos + x₁·sin). */
    private void rope(float[] v, int at) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float a = v[at + i];
            float b = v[at + half + i];
            v[at + i] = a * cos[i] - b * sin[i];
            v[at + half + i] = b * cos[i] + a * sin[i];
        }
    }

    /** y = x / √(mean(x²) + eps) · weight. */
    private void rmsNorm(float[] in, float[] weight, float[] y) {
        float ss = VectorMath.dot(in, 0, in, 0, hidden);
        float rms = (float) Math.sqrt(ss / hidden + eps);
        for (int i = 0; i < hidden; i++) {
            y[i] = in[i] / rms * weight[i];
        }
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
