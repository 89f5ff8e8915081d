package dev.herd.sampling;

import dev.herd.common.HerdInputException;

/**
 * The factory for {@code herd sample --model http://…} sources. The OpenAI-compatible client lives with the
 * evals' remote model; the {@code herd} command installs it here, since this stage may not depend on that one.
 */
public final class RemoteSources {

    /** Builds a source for a served model. */
    @FunctionalInterface
    public interface Factory {
        SampleSource open(String baseUrl, String modelName, int concurrency, int retries);
    }

    private static volatile Factory factory;

    private RemoteSources() {}

    public static void install(Factory f) {
        factory = f;
    }

    static SampleSource open(String baseUrl, String modelName, int concurrency, int retries) {
        if (factory == null) {
            throw new HerdInputException("remote models are served through the herd command (no client installed)");
        }
        if (modelName == null) {
            throw new HerdInputException("--model " + baseUrl + " needs --model-name (the served model's name)");
        }
        return factory.open(baseUrl, modelName, concurrency, retries);
    }
}
