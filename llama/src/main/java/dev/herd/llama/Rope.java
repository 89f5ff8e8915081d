package dev.herd.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/** Rotary position embeddings in Hugging Face's rotate-half layout, with Llama 3.1 frequency scaling. */
final class Rope {

    private Rope() {}

    /**
     * The inverse frequencies θ^(-2i/d), i = 0..d/2-1, scaled the way HF's {@code _compute_llama3_parameters}
     * does: wavelengths longer than {@code original/low_freq_factor} are slowed by {@code factor}, shorter
     * than {@code original/high_freq_factor} kept, and the band between blended linearly in 1/wavelength.
     * Computed in fp32 like HF, so positions turn into the same angles.
     */
    public static float[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / Math.pow((float) theta, exponent));
        }
        if (scaling == null) {
            return inv;
        }
        float factor = (float) scaling.factor();
        float low = (float) scaling.lowFreqFactor();
        float high = (float) scaling.highFreqFactor();
        float original = scaling.originalMaxPositionEmbeddings();
        float lowFreqWavelen = original / low;
        float highFreqWavelen = original / high;
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] = inv[i] / factor;
            } else if (wavelen >= highFreqWavelen) {
                float smooth = (original / wavelen - low) / (high - low);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
        return inv;
    }

    /**
     * cos and sign-folded sin tables for the given positions: {@code sin} holds (−sin, sin) over the two halves
     * of the head dim, so that rotate_half(x)·sin = swap_halves(x)·{@code sin} — one swap instead of a negation,
     * two slices and a concat for every q and k of every layer.
     *
     * @param positions [batch, seq] int64
     * @param invFreq   [headDim/2]
     * @return {cos, sin}, each [batch, 1, seq, headDim] (the 1 broadcasts over heads)
     */
    public static NDArray[] tables(NDArray positions, NDArray invFreq) {
        NDArray angles = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(invFreq); // [b, t, d/2]
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        return new NDArray[] {cos.concat(cos, -1).expandDims(1), sin.neg().concat(sin, -1).expandDims(1)};
    }

    /**
     * x·cos + rotate_half(x)·sin with rotate_half(x) = (−x₂, x₁), written as x·cos + (x₂, x₁)·(−sin, sin) for the
     * tables of {@link #tables} (the same products: negating a factor is exact).
     *
     * @param x [batch, heads, seq, headDim]
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray signedSin) {
        NDList halves = x.split(2, 3);                                    // x₁, x₂: [b, heads, t, d/2] each
        NDArray swapped = halves.get(1).concat(halves.get(0), -1);        // (x₂, x₁)
        return x.mul(cos).add(swapped.mul(signedSin));
    }
}
