package dev.herd.llama.lora;

import ai.djl.Device;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A small base model folder for adapter tests: {@link LoraAdaptersTest#CONFIG}'s random weights and a tokenizer file. */
final class LlamaAdapted {

    private LlamaAdapted() {}

    /** Writes the base folder at {@code dir} (when missing) and returns the model loaded from it. */
    static LlamaModel base(Path dir) {
        if (!Files.exists(dir)) {
            Map<String, float[]> w = LoraAdaptersTest.randomWeights(LoraAdaptersTest.CONFIG, 99);
            Path tok = dir.resolveSibling(dir.getFileName() + "-tok");
            try {
                Files.createDirectories(tok);
                Files.writeString(tok.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0}}, \"added_tokens\": []}");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (LlamaModel m = LoraAdaptersTest.model(w)) {
                ModelFolder.save(m, dir, tok);
            }
        }
        return ModelFolder.load(dir, Device.cpu());
    }
}
