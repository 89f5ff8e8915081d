package dev.herd.llama.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.vocab.VocabPruner;
import dev.herd.llama.train.TrainingConfig;
import dev.herd.llama.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herd init-model --vocab-from}: a model sized to a vocabulary pruned to the user's data. */
class InitModelVocabFromTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static final List<List<ChatMessage>> CHATS = List.of(
            List.of(ChatMessage.user("Ana has 3 apples and buys 4 more. How many apples does Ana have now?"),
                    ChatMessage.assistant("3 + 4 = 7. The answer is 7.")),
            List.of(ChatMessage.user("Answer in upper case, with one word: What colour is snow?"),
                    ChatMessage.assistant("WHITE")),
            List.of(ChatMessage.system("You are terse."), ChatMessage.user("Ben has 12 coins and gives 5 away."),
                    ChatMessage.assistant("12 - 5 = 7. The answer is 7.")));

    Path data() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (List<ChatMessage> c : CHATS) {
            jsonl.append(JSON.writeValueAsString(java.util.Map.of("messages", c))).append('\n');
        }
        Path f = tmp.resolve("sft.jsonl");
        Files.writeString(f, jsonl);
        return f;
    }

    @Test
    void aModelInitialisedWithVocabFromIsSizedToThePrunedTokenizerAndTrains() throws Exception {
        Path full = TestPaths.tokenizerOrSkip();
        Path notes = tmp.resolve("notes.txt");
        Files.writeString(notes, "Plain text works too.\nSecond line.\n");
        Path dir = tmp.resolve("model");
        CliRun r = CliRun.of(new InitModelCommand(), "--out", dir.toString(), "--hidden", "32", "--layers", "2", "--heads", "4",
                "--kv-heads", "2", "--intermediate", "64", "--tokenizer", full.toString(), "--vocab-from", data().toString(),
                notes.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s)vocabulary [0-9,]+ of 128,256 tokens .*wrote .*"), r.out());

        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        int size = ModelFolder.tokenizerVocabSize(dir);
        assertEquals(size, config.get("vocab_size").asInt());
        assertTrue(size < 1000, "pruned to " + size);
        int[] old = VocabPruner.originalIds(dir, full);
        try (LlamaTokenizer tok = LlamaTokenizer.load(dir); LlamaTokenizer fullTok = LlamaTokenizer.load(full)) {
            assertEquals(size, tok.vocabSize());
            assertEquals(tok.bosId(), config.get("bos_token_id").asInt());
            assertEquals(128000, old[tok.bosId()]);
            List<Integer> eos = new ArrayList<>();
            config.get("eos_token_id").forEach(e -> eos.add(e.asInt()));
            assertEquals(new ArrayList<>(tok.stopIds()), eos);
            assertEquals(List.of(128009, 128001), eos.stream().map(i -> old[i]).toList());
            JsonNode generation = JSON.readTree(dir.resolve("generation_config.json").toFile());
            assertEquals(tok.bosId(), generation.get("bos_token_id").asInt());

            // The chats encode as with the full tokenizer, id for id through the map.
            ChatEncoder chat = ChatEncoder.of(tok);
            List<int[]> examples = new ArrayList<>();
            for (List<ChatMessage> c : CHATS) {
                int[] ids = chat.encode(c, false).ids();
                assertArrayEquals(ChatEncoder.of(fullTok).encode(c, false).ids(), Arrays.stream(ids).map(i -> old[i]).toArray());
                examples.add(ids);
            }

            // The model loads, runs over the pruned vocabulary and learns the chats.
            try (LlamaModel model = ModelFolder.load(dir, Device.cpu())) {
                assertEquals(size, model.config().vocabSize());
                model.requireGradients(true);
                NDManager m = model.newStepManager();
                TrainingConfig c = new TrainingConfig(0.01, 100, 15, 3, 1, 0, 0.0, 64, 1, "constant", 0, 1.0, 0.9, 0.999,
                        1e-8, 0, 1);
                List<Double> losses = new ArrayList<>();
                new TrainingLoop<>(c, m, model.parameters(), examples, (ex, step) -> dev.herd.llama.train.TrainingLoopTest.nll(model, ex, step))
                        .onMetrics((s, metrics) -> losses.add(metrics.get("loss"))).run();
                assertEquals(15, losses.size());
                assertEquals(Math.log(size), losses.get(0), 0.5, "a random model starts near uniform over the pruned vocabulary");
                assertTrue(losses.get(14) < losses.get(0) - 1, "loss " + losses);
            }
        }
        assertTrue(Files.list(tmp).noneMatch(p -> p.getFileName().toString().contains(".tokenizer-")), "no pruned folder left");
    }

    @Test
    void vocabFromNeedsTheFullTokenizer() throws Exception {
        CliRun r = CliRun.of(new InitModelCommand(), "--out", tmp.resolve("m").toString(), "--hidden", "32", "--layers", "1",
                "--heads", "4", "--kv-heads", "2", "--intermediate", "64", "--vocab-from", data().toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--vocab-from needs --tokenizer"), r.err());
    }
}
