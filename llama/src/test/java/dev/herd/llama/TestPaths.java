package dev.herd.llama;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the real inputs are: the repository's own {@code data/} (the Llama 3.1 tokenizer and the benchmark files,
 * laid out as {@code shared/} is), so a clone with nothing beside it runs every test. Surefire passes
 * {@code herd.shared}; runs from an IDE find {@code data/} by walking up from the working folder.
 */
public final class TestPaths {

    private TestPaths() {}

    public static Path shared() {
        String p = System.getProperty("herd.shared");
        if (p != null && Files.isDirectory(Path.of(p))) {
            return Path.of(p);
        }
        for (Path c = Path.of("").toAbsolutePath(); c != null; c = c.getParent()) {
            if (Files.isDirectory(c.resolve("data/llama3.1-tokenizer")) && Files.isRegularFile(c.resolve("data/NOTICE.md"))) {
                return c.resolve("data");
            }
        }
        throw new IllegalStateException("cannot find the repository's data/ folder (set -Dherd.shared)");
    }

    public static Path tokenizer() {
        return shared().resolve("llama3.1-tokenizer");
    }

    /**
     * A tiny random Llama 3.1 (hidden 32, 2 layers, GQA 4/2, tied embeddings, the full 128,256-token vocabulary)
     * saved at {@code dir} with the real tokenizer: what a CLI test points {@code --model} at.
     *
     * @return {@code dir}
     */
    public static Path tinyModel(Path dir, long seed, double std) {
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), seed, std, ai.djl.Device.cpu())) {
            ModelFolder.save(m, dir, tokenizer());
        }
        return dir;
    }

    /** The real tokenizer; the calling test (or class, from {@code @BeforeAll}) is skipped when shared/ lacks it. */
    public static Path tokenizerOrSkip() {
        Path dir;
        try {
            dir = tokenizer();
        } catch (IllegalStateException e) {
            dir = null;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(dir != null && Files.exists(dir.resolve("tokenizer.json")),
                "no shared/llama3.1-tokenizer beside the checkout");
        return dir;
    }
}
