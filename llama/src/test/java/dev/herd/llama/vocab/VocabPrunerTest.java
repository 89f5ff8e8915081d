package dev.herd.llama.vocab;

import dev.herd.llama.tokenizer.LlamaTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A vocabulary pruned to a corpus: one-to-one with the full tokenizer on the corpus, still complete on any text. */
class VocabPrunerTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path full;
    static List<String> corpus;
    static VocabPruner.Result result;
    static LlamaTokenizer original;
    static LlamaTokenizer pruned;

    /** Fragments of many kinds: words, numbers, punctuation, unicode, whitespace and newlines, code, markup. */
    static final List<String> FRAGMENTS = List.of(
            "Hello world", "the quick brown fox", "jumps over the lazy dog", "Tokenization", "internationalization",
            "don't", "I'll", "it's", "they're", "we've", "She'd", "YOU'RE", "Mr. Smith", "e.g.", "i.e.,",
            "0", "7", "42", "1234567", "3.14159", "-273.15", "1,000,000", "2024-07-23", "12:30pm", "0x1F", "1e-5", "50%",
            "!", "?!", "...", "--", "—", "(a)", "[x]", "{\"k\": 1}", "<tag/>", "a+b=c", "#hashtag", "@user", "$9.99",
            "naïve café", "Zürich", "São Paulo", "Ærø", "日本語のテキスト", "中文", "Привет, мир", "Ελληνικά", "مرحبا",
            "🦙", "llama 🦙 herd", "👍🏽", "e\u0301", "ﬁ", "½", "∑ x²",
            "line one\nline two", "para\n\n\nnext", "\ttabbed", "    indented", "trailing   ", "\r\nwindows\r\n",
            "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) {", "SELECT * FROM t WHERE id = 3;",
            "a <|eot_id|> b", "<|start_header_id|>", "ALL CAPS SENTENCE", "MiXeD cAsE", "snake_case_name", "camelCaseName");

    @BeforeAll
    static void prune() {
        full = TestPaths.tokenizerOrSkip();
        corpus = corpus();
        result = VocabPruner.prune(full, corpus, tmp.resolve("pruned"));
        original = LlamaTokenizer.load(full);
        pruned = LlamaTokenizer.load(result.dir());
    }

    @AfterAll
    static void close() {
        if (original != null) {
            original.close();
        }
        if (pruned != null) {
            pruned.close();
        }
    }

    /** A few hundred texts: every fragment, and random joins of two to five of them. */
    static List<String> corpus() {
        List<String> texts = new ArrayList<>(FRAGMENTS);
        Random r = new Random(5);
        String[] joins = {" ", "", "\n", ", ", "\n\n", "  ", ": "};
        for (int i = 0; i < 300; i++) {
            StringBuilder b = new StringBuilder(FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                b.append(joins[r.nextInt(joins.length)]).append(FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
            }
            texts.add(b.toString());
        }
        return texts;
    }

    @Test
    void onItsCorpusThePrunedIdsMapBackToTheOriginalIdsForEveryText() {
        assertTrue(corpus.size() > 300);
        for (String t : corpus) {
            for (boolean special : new boolean[] {false, true}) {
                int[] want = original.encode(t, true, special);
                int[] got = pruned.encode(t, true, special);
                assertArrayEquals(want, result.toOriginal(got), t);
                for (int id : got) {
                    assertTrue(id < result.size(), t);
                }
            }
        }
        // Far smaller than the full vocabulary, yet all 256 special tokens and the byte tokens are there.
        assertEquals(128256, result.originalSize());
        assertTrue(result.size() < 3000, result.summary());
        assertEquals(256, result.addedTokens());
        assertEquals(result.size(), pruned.vocabSize());
    }

    @Test
    void chatsOfCorpusTextsEncodeOneToOneThroughTheChatTemplate() {
        ChatEncoder a = ChatEncoder.of(original);
        ChatEncoder b = ChatEncoder.of(pruned);
        for (int i = 0; i + 2 < corpus.size(); i += 7) {
            List<ChatMessage> chat = List.of(ChatMessage.system(corpus.get(i)), ChatMessage.user(corpus.get(i + 1)),
                    ChatMessage.assistant(corpus.get(i + 2)));
            assertArrayEquals(a.encode(chat, false).ids(), result.toOriginal(b.encode(chat, false).ids()), chat.toString());
            assertArrayEquals(a.encode(chat.subList(0, 2), true).ids(), result.toOriginal(b.encode(chat.subList(0, 2), true).ids()));
        }
    }

    @Test
    void textOutsideTheCorpusStillRoundTripsThroughTheByteTokens() {
        List<String> unseen = new ArrayList<>(List.of("🦜🔥👩‍💻", "Supercalifragilisticexpialidocious", "ℝ² → ℂ",
                "Wolfeschlegelsteinhausenbergerdorff", "한국어 텍스트", "ภาษาไทย", "\u0000\u0007\u001b[0m", "😀😀😀",
                "   \n\t\r\n", "ünïcödé ÜNÏCÖDÉ", "a <|eot_id|> <|reserved_special_token_7|> z", "x\u00a0y\u2028z",
                "9876543210.000001", "<<<>>>|||~~~^^^", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
        Random r = new Random(11);
        for (int i = 0; i < 100; i++) {
            StringBuilder b = new StringBuilder();
            for (int k = 1 + r.nextInt(12); k > 0; k--) {
                int cp;
                do {
                    cp = r.nextInt(4) == 0 ? 0x10000 + r.nextInt(0x20000) : r.nextInt(0x3000);
                } while (Character.getType(cp) == Character.SURROGATE || Character.getType(cp) == Character.UNASSIGNED);
                b.appendCodePoint(cp);
            }
            unseen.add(b.toString());
        }
        int longer = 0;
        for (String t : unseen) {
            int[] ids = pruned.encode(t, false, false);
            for (int id : ids) {
                assertTrue(id >= 0 && id < result.size(), t);
            }
            assertEquals(t, pruned.decode(ids, false), "round trip of " + t);
            if (ids.length > original.encode(t, false, false).length) {
                longer++;
            }
        }
        // The pruned vocabulary really lacks these words: they fall back to smaller pieces, down to bytes.
        assertTrue(longer > 5, "only " + longer + " texts needed more tokens than with the full vocabulary");
    }

    @Test
    void theRustTokenizersLibraryLoadsThePrunedFileAndFindsTheSpecialTokensAtTheirNewIds() throws Exception {
        int n = result.regularTokens();
        // Regular tokens take 0..n-1 in their original order, the 256 added tokens n.. in theirs.
        assertEquals(n, result.newId(128000));
        assertEquals(n + 6, result.newId(128006));
        assertEquals(n + 7, result.newId(128007));
        assertEquals(n + 9, result.newId(128009));
        assertEquals(n + 255, result.newId(128255));
        for (int i = 1; i < n; i++) {
            assertTrue(result.oldId(i - 1) < result.oldId(i));
        }
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(result.dir().resolve("tokenizer.json"))) {
            // Default settings: the post-processor adds <|begin_of_text|>, at its new id.
            Encoding e = hf.encode("Hello world");
            assertEquals(n, e.getIds()[0]);
            assertEquals("<|begin_of_text|>", e.getTokens()[0]);
            Encoding chat = hf.encode("<|start_header_id|>user<|end_header_id|>\n\nHello world<|eot_id|>", false, false);
            long[] ids = chat.getIds();
            assertEquals(n + 6, ids[0]);
            assertEquals(n + 7, ids[2]);
            assertEquals(n + 9, ids[ids.length - 1]);
            assertEquals("Hello world", hf.decode(Arrays.copyOfRange(ids, 4, ids.length - 1), true));
        }
        assertEquals(n, pruned.bosId());
        assertEquals(Set.of(n + 1, n + 9), pruned.stopIds());
        assertEquals(n + 9, pruned.tokenId("<|eot_id|>").getAsInt());

        JsonNode config = JSON.readTree(result.dir().resolve("tokenizer_config.json").toFile());
        JsonNode decoder = config.get("added_tokens_decoder");
        assertEquals(256, decoder.size());
        assertEquals("<|begin_of_text|>", decoder.get(String.valueOf(n)).get("content").asText());
        assertEquals("<|eot_id|>", decoder.get(String.valueOf(n + 9)).get("content").asText());
        JsonNode fullConfig = JSON.readTree(full.resolve("tokenizer_config.json").toFile());
        assertEquals(fullConfig.get("chat_template"), config.get("chat_template"));

        // The file refers to no id outside the vocabulary, and every merge joins two kept tokens into a kept one.
        JsonNode root = JSON.readTree(result.dir().resolve("tokenizer.json").toFile());
        Set<String> vocab = new HashSet<>();
        root.get("model").get("vocab").fields().forEachRemaining(f -> {
            vocab.add(f.getKey());
            assertTrue(f.getValue().asInt() < n);
        });
        assertEquals(n, vocab.size());
        for (JsonNode m : root.get("model").get("merges")) {
            String[] ab = m.asText().split(" ");
            assertTrue(vocab.contains(ab[0]) && vocab.contains(ab[1]) && vocab.contains(ab[0] + ab[1]), m.asText());
        }
        assertEquals(List.of(n), intList(root.at("/post_processor/processors/1/special_tokens/<|begin_of_text|>/ids")));
        JsonNode fullRoot = JSON.readTree(full.resolve("tokenizer.json").toFile());
        for (String key : List.of("normalizer", "pre_tokenizer", "decoder")) {
            assertEquals(fullRoot.get(key), root.get(key), key);
        }
    }

    @Test
    void theIdMapCanBeRebuiltFromTheFilesAlone() {
        assertArrayEquals(java.util.stream.IntStream.range(0, result.size()).map(result::oldId).toArray(),
                VocabPruner.originalIds(result.dir(), full));
    }

    @Test
    void corpusFilesGiveEveryStringValueOfJsonLinesAndEveryLineOfText() throws Exception {
        Path jsonl = tmp.resolve("data.jsonl");
        Files.writeString(jsonl, """
                {"messages": [{"role": "user", "content": "How many apples?"}, {"role": "assistant", "content": "Three."}], "n": 3}

                {"prompt": "Say hi", "meta": {"tags": ["greeting", "short"]}}
                """);
        Path txt = tmp.resolve("notes.txt");
        Files.writeString(txt, "first line\nsecond line\n");
        List<String> texts = VocabPruner.readCorpus(List.of(jsonl, txt));
        assertEquals(List.of("user", "How many apples?", "assistant", "Three.", "Say hi", "greeting", "short",
                "first line\nsecond line\n", "first line", "second line"), texts);

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"a\": \"ok\"}\n{not json\n");
        HerdInputException e = org.junit.jupiter.api.Assertions.assertThrows(HerdInputException.class,
                () -> VocabPruner.readCorpus(List.of(bad)));
        assertTrue(e.getMessage().startsWith(bad + ":2: not valid JSON"), e.getMessage());
    }

    @Test
    void theSummarySaysHowMuchIsKept() {
        assertTrue(result.summary().matches("vocabulary [0-9,]+ of 128,256 tokens \\([0-9,]+ regular, 256 of them bytes, "
                + "\\+ 256 added\\), [0-9,]+ of 280,147 merges"), result.summary());
        assertFalse(Files.exists(result.dir().resolve("SOURCE.md")));
    }

    static List<Integer> intList(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asInt()));
        return out;
    }
}
