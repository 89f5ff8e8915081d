package dev.herd.llama;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the real inputs in {@code shared/} are: surefire passes {@code herd.shared}; IDE runs fall back. */
public final class TestPaths {

    private TestPaths() {}

    public static Path shared() {
        String p = System.getProperty("herd.shared");
        if (p != null && Files.isDirectory(Path.of(p))) {
            return Path.of(p);
        }
        for (Path c = Path.of("").toAbsolutePath(); c != null; c = c.getParent()) {
            if (Files.isDirectory(c.resolve("shared/llama3.1-tokenizer"))) {
                return c.resolve("shared");
            }
            if (Files.isDirectory(c.resolve("../shared/llama3.1-tokenizer"))) {
                return c.resolve("../shared").normalize();
            }
        }
        throw new IllegalStateException("cannot find shared/ (set -Dherd.shared)");
    }

    public static Path tokenizer() {
        return shared().resolve("llama3.1-tokenizer");
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
