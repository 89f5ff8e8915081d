package dev.herd.llama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.io.CheckpointFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands as a user runs them: output, exit codes, and one clear line for bad input. */
class CliTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static CliRun run(Object command, String... args) {
        return CliRun.of(command, args);
    }

    Path tinyModel(String... extra) {
        Path dir = tmp.resolve("tiny");
        String[] base = {"--out", dir.toString(), "--hidden", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2",
            "--intermediate", "64", "--seed", "7", "--tokenizer", TestPaths.tokenizer().toString()};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRun r = run(new InitModelCommand(), args);
        assertEquals(0, r.code(), r.err());
        return dir;
    }

    @Test
    void initModelWritesACompleteHfFolderThatLoadsBack() throws Exception {
        Path dir = tinyModel("--tie-embeddings");
        for (String f : new String[] {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json"}) {
            assertTrue(Files.exists(dir.resolve(f)), f);
        }
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", config.get("architectures").get(0).asText());
        assertEquals(128256, config.get("vocab_size").asInt());
        assertEquals("llama3", config.get("rope_scaling").get("rope_type").asText());
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            assertFalse(files.has("lm_head.weight"), "tied: no separate LM head");
            float[] emb = files.readFloats("model.embed_tokens.weight");
            double sum = 0;
            double sq = 0;
            for (float v : emb) {
                sum += v;
                sq += v * v;
            }
            assertEquals(0.02, Math.sqrt(sq / emb.length - Math.pow(sum / emb.length, 2)), 0.0005, "std 0.02 init");
            assertEquals(1f, files.readFloats("model.norm.weight")[0]);
        }
        assertTrue(Files.list(tmp).noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temp dir left");
    }

    @Test
    void logitsMatchTheSavedModelsForward() throws Exception {
        Path dir = tinyModel();
        CliRun r = run(new LogitsCommand(), "--model", dir.toString(), "--ids", "128000,9906,1917");
        assertEquals(0, r.code(), r.err());
        JsonNode logits = JSON.readTree(r.out()).get("logits");
        assertEquals(3, logits.size());
        assertEquals(128256, logits.get(0).size());
        try (LlamaModel m = ModelFolder.load(dir, Device.cpu()); ai.djl.ndarray.NDManager s = m.newStepManager()) {
            float[] expected = m.forward(dev.herd.llama.TokenBatch.causal(s, new int[][] {{128000, 9906, 1917}}))
                    .get(0, 2).toFloatArray();
            for (int v = 0; v < expected.length; v += 997) {
                assertEquals(expected[v], logits.get(2).get(v).floatValue(), 1e-6);
            }
        }
        // --out writes the same JSON to a file.
        Path out = tmp.resolve("logits.json");
        assertEquals(0, run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1,2", "--out", out.toString()).code());
        assertEquals(2, JSON.readTree(out.toFile()).get("logits").size());
    }

    @Test
    void tokenizeTextAndMessages() throws Exception {
        CliRun r = run(new TokenizeCommand(), "--model", TestPaths.tokenizer().toString(), "--text", "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("{\"text\":\"Hello world\",\"ids\":[128000,9906,1917]}", r.out().trim());
        Path msgs = tmp.resolve("m.json");
        Files.writeString(msgs, "[{\"role\": \"user\", \"content\": \"Hi\"}]");
        r = run(new TokenizeCommand(), "--model", TestPaths.tokenizer().toString(), "--messages", msgs.toString(),
                "--add-generation-prompt");
        assertEquals(0, r.code(), r.err());
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", JSON.readTree(r.out()).get("text").asText());
        Files.writeString(msgs, "[{\"role\": \"robot\", \"content\": \"Hi\"}]");
        r = run(new TokenizeCommand(), "--model", TestPaths.tokenizer().toString(), "--messages", msgs.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("m.json") && r.err().contains("robot"), r.err());
    }

    @Test
    void generateStopsAndIsReproducible() throws Exception {
        Path dir = tinyModel();
        CliRun a = run(new GenerateCommand(), "--model", dir.toString(), "--prompt", "Hi", "--chat", "--max-new-tokens", "5",
                "--temperature", "1", "--seed", "3", "--json");
        CliRun b = run(new GenerateCommand(), "--model", dir.toString(), "--prompt", "Hi", "--chat", "--max-new-tokens", "5",
                "--temperature", "1", "--seed", "3", "--json");
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        int n = JSON.readTree(a.out()).get("ids").size();
        assertTrue(n > 0 && n <= 5, "generated " + n);
    }

    /** Bad input: exit 2, one line naming the file and the key or tensor, no stack trace. */
    static void assertBadInput(CliRun r, String... mentions) {
        assertEquals(2, r.code(), r.out() + r.err());
        String line = r.err().trim();
        assertFalse(line.contains("\n") || line.contains("\tat "), "one line, no trace: " + line);
        for (String m : mentions) {
            assertTrue(line.contains(m), "'" + m + "' not in: " + line);
        }
    }

    @Test
    void badModelFoldersGiveOneClearLine() throws Exception {
        Path dir = tinyModel();
        Path cfg = dir.resolve("config.json");
        String original = Files.readString(cfg);

        Files.writeString(cfg, original.replaceAll("\"hidden_size\" : \\d+,", ""));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "config.json", "hidden_size");

        Files.writeString(cfg, original.replace("\"rope_type\" : \"llama3\"", "\"rope_type\" : \"yarn\""));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "config.json", "yarn");

        Files.writeString(cfg, original.replace("\"intermediate_size\" : 64", "\"intermediate_size\" : 65"));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "model.safetensors",
                "mlp.gate_proj.weight", "[64, 32]", "[65, 32]");

        Files.writeString(cfg, original.replace("\"vocab_size\" : 128256", "\"vocab_size\" : 1000"));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "tokenizer.json", "128256", "1000");

        Files.writeString(cfg, "{ not json");
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "config.json", "not valid JSON");

        Files.writeString(cfg, original);
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(bytes, bytes.length - 100));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "model.safetensors", "truncated",
                "lm_head.weight");

        String header = new String(bytes, 8, 200, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"F32\""));
        String bad = new String(bytes, StandardCharsets.ISO_8859_1).replaceFirst("\"F32\"", "\"X32\"");
        Files.write(weights, bad.getBytes(StandardCharsets.ISO_8859_1));
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1"), "model.safetensors", "unknown dtype X32");

        assertBadInput(run(new LogitsCommand(), "--model", tmp.resolve("nope").toString(), "--ids", "1"), "nope");
        assertBadInput(run(new InitModelCommand(), "--out", tmp.resolve("x").toString(), "--hidden", "32", "--layers", "1",
                "--heads", "4", "--kv-heads", "3", "--intermediate", "8"), "num_key_value_heads");
    }

    @Test
    void emptyIdsAMissingOutFolderAndImpossibleShapesAreBadInputNotTracesOrSilentDefaults() throws Exception {
        Path dir = tinyModel();
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", ","), "--ids", "no token ids");
        assertBadInput(run(new LogitsCommand(), "--model", dir.toString(), "--ids", "1,2", "--out",
                tmp.resolve("missing/x.json").toString()), "--out", "does not exist");
        assertBadInput(run(new InitModelCommand(), "--out", tmp.resolve("y").toString(), "--hidden", "32", "--layers", "1",
                "--heads", "3", "--kv-heads", "1", "--intermediate", "8"), "--hidden 32", "--heads 3", "--head-dim");
        assertBadInput(run(new InitModelCommand(), "--out", tmp.resolve("z").toString(), "--hidden", "32", "--layers", "1",
                "--heads", "4", "--kv-heads", "2", "--intermediate", "8", "--std", "-1"), "--std", "-1");
        assertFalse(Files.exists(tmp.resolve("y")) || Files.exists(tmp.resolve("z")), "nothing written");
    }

    @Test
    void configRoundTrip() {
        LlamaConfig c = LlamaConfig.of(64, 128, 2, 4, 2, 100, dev.herd.llama.RopeScaling.llama31(), true);
        assertEquals(c, dev.herd.llama.LlamaConfig.parse(readTree(c.toJson()), "x"));
    }

    static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
