package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.herd.llama.cli.AverageCommand;
import dev.herd.llama.cli.CliRun;
import dev.herd.llama.io.CheckpointFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelAverageTest {

    static Path save(Path dir, LlamaConfig c, long seed) {
        try (LlamaModel m = LlamaModel.random(c, seed, 0.05, Device.cpu())) {
            ModelFolder.save(m, dir, TestPaths.tokenizer());
        }
        return dir;
    }

    @Test
    void weightedMeanOfEveryTensorAndClearRefusals(@TempDir Path tmp) throws Exception {
        LlamaConfig c = LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true);
        Path a = save(tmp.resolve("a"), c, 1);
        Path b = save(tmp.resolve("b"), c, 2);
        Path out = tmp.resolve("avg");
        CliRun run = CliRun.of(new AverageCommand(), "--out", out.toString(), "--weights", "1,3", a.toString(), b.toString());
        assertEquals(0, run.code(), run.err());
        try (CheckpointFiles fa = CheckpointFiles.open(a); CheckpointFiles fb = CheckpointFiles.open(b);
             CheckpointFiles fo = CheckpointFiles.open(out)) {
            assertEquals(fa.names(), fo.names());
            for (String n : new String[] {"model.embed_tokens.weight", "model.layers.1.mlp.up_proj.weight", "model.norm.weight"}) {
                float[] x = fa.readFloats(n);
                float[] y = fb.readFloats(n);
                float[] z = fo.readFloats(n);
                for (int i = 0; i < z.length; i += Math.max(1, z.length / 997)) {
                    assertEquals(0.25 * x[i] + 0.75 * y[i], z[i], 1e-7, n + "[" + i + "]");
                }
            }
        }
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        try (LlamaModel m = ModelFolder.load(out, Device.cpu())) {
            assertEquals(32, m.config().hiddenSize());
        }
        // Another architecture: refused, naming the key.
        Path wide = save(tmp.resolve("wide"), LlamaConfig.of(64, 64, 2, 4, 2, 128256, null, true), 3);
        CliRun bad = CliRun.of(new AverageCommand(), "--out", tmp.resolve("x").toString(), a.toString(), wide.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("head_dim (8 vs 16)"), bad.err());
        assertTrue(!Files.exists(tmp.resolve("x")), "nothing half-written");
        // Same config, different tensor set (an untied model has an LM head).
        Path untied = save(tmp.resolve("untied"), LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, false), 4);
        CliRun bad2 = CliRun.of(new AverageCommand(), "--out", tmp.resolve("y").toString(), a.toString(), untied.toString());
        assertEquals(2, bad2.code());
        assertTrue(bad2.err().contains("tie_word_embeddings"), bad2.err());
    }
}
