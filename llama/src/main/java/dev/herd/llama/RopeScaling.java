package dev.herd.llama;

/**
 * Llama 3.1's RoPE frequency scaling ({@code rope_scaling} with {@code rope_type: llama3}).
 *
 * <p>Low frequencies (long wavelengths) are divided by {@code factor}, high ones kept, and the band between
 * is interpolated smoothly; this is what lets a model pre-trained at 8k positions run at 128k.
 */
public record RopeScaling(
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    /** The values of Meta's Llama 3.1 releases. */
    public static RopeScaling llama31() {
        return new RopeScaling(8.0, 1.0, 4.0, 8192);
    }
}
