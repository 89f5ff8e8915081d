package dev.herd.recipes.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.vocab.VocabPruner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * recipes/tokenizers/llama3.1-synth, the Llama 3.1 tokenizer pruned to the synthetic task family, covers the
 * family and not just the seeds it was built from. When this fails after a change to {@link TaskFamily}, rebuild
 * it with its build.sh (see its SOURCE.md).
 */
class ShippedTokenizerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Path shipped() {
        for (Path c = Path.of("").toAbsolutePath(); c != null; c = c.getParent()) {
            Path p = c.resolve("recipes/tokenizers/llama3.1-synth");
            if (Files.exists(p.resolve("tokenizer.json"))) {
                return p;
            }
        }
        throw new IllegalStateException("no recipes/tokenizers/llama3.1-synth above " + Path.of("").toAbsolutePath());
    }

    @Test
    void theShippedSynthTokenizerMapsOneToOneToTheFullOneOnFreshDataOfAnUnseenSeed() throws Exception {
        Path full = TestPaths.tokenizerOrSkip();
        Path shipped = shipped();
        int[] old = VocabPruner.originalIds(shipped, full);
        Path data = tmp.resolve("synth");
        SynthData.write(data, 987_654_321L, new SynthData.Counts(2000, 500, 1000, 200));
        List<Path> files = SynthData.files().stream().map(data::resolve).toList();
        List<String> texts = new ArrayList<>(VocabPruner.readCorpus(files));
        // Numbers beyond any the family draws today: Llama 3 writes them as 1-3 digit pieces, all kept.
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            long n = i < 100 ? r.nextInt(1000) : (long) Math.pow(10, r.nextInt(12)) + r.nextInt(1_000_000);
            texts.add(n + "");
            texts.add("The answer is " + n + ".");
            texts.add(r.nextInt(100) + " x " + n + " = " + n + "007, and " + n + " - 0" + n + " = 0.");
        }
        try (LlamaTokenizer fullTok = LlamaTokenizer.load(full); LlamaTokenizer tok = LlamaTokenizer.load(shipped)) {
            assertTrue(tok.vocabSize() < 4000, "shipped vocabulary " + tok.vocabSize());
            assertEquals(128000, old[tok.bosId()]);
            for (String t : texts) {
                for (boolean special : new boolean[] {false, true}) {
                    assertArrayEquals(fullTok.encode(t, true, special), map(old, tok.encode(t, true, special)), t);
                }
            }
            // Every conversation as SFT and sampling encode it.
            ChatEncoder fullChat = ChatEncoder.of(fullTok);
            ChatEncoder chat = ChatEncoder.of(tok);
            for (String f : List.of(SynthData.SFT, SynthData.PROMPTS, SynthData.EVAL)) {
                for (String line : Files.readAllLines(data.resolve(f))) {
                    List<ChatMessage> messages = new ArrayList<>();
                    for (JsonNode m : JSON.readTree(line).get("messages")) {
                        messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
                    }
                    boolean prompt = messages.size() == 1;
                    assertArrayEquals(fullChat.encode(messages, prompt).ids(), map(old, chat.encode(messages, prompt).ids()), line);
                }
            }
        }
        JsonNode fullConfig = JSON.readTree(full.resolve("tokenizer_config.json").toFile());
        JsonNode config = JSON.readTree(shipped.resolve("tokenizer_config.json").toFile());
        assertEquals(fullConfig.get("chat_template"), config.get("chat_template"));
        assertTrue(Files.readString(shipped.resolve("SOURCE.md")).contains("Llama 3.1 Community License"));
    }

    static int[] map(int[] old, int[] ids) {
        return Arrays.stream(ids).map(i -> old[i]).toArray();
    }
}
