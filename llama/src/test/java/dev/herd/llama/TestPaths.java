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
}
