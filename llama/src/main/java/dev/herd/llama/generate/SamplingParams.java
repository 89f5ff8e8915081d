package dev.herd.llama.generate;

/**
 * How to pick each next token.
 *
 * @param temperature 0 = greedy (argmax); otherwise logits are divided by it before sampling
 * @param topK        keep only the k most likely tokens (0 = all)
 * @param topP        keep the smallest set of most likely tokens whose probability reaches p (1 = all)
 * @param maxNewTokens stop after this many generated tokens
 * @param seed        seed of this request's own random stream: the same seed gives the same text whatever
 *                    else is being generated alongside
 */
public record SamplingParams(double temperature, int topK, double topP, int maxNewTokens, long seed) {

    public SamplingParams {
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topP <= 0 || topP > 1) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max-new-tokens must be >= 0, got " + maxNewTokens);
        }
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0, 0, 1, maxNewTokens, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, s);
    }
}
