package dev.herd.llama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import dev.herd.llama.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaTokenizerTest {

    static LlamaTokenizer tok;

    @BeforeAll
    static void load() {
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void knownIdsOfTheRealLlama31Tokenizer() {
        assertArrayEquals(new int[] {128000, 9906, 1917}, tok.encode("Hello world", true, false));
        assertEquals(128256, tok.vocabSize());
        assertEquals(128000, tok.bosId());
        assertEquals(128009, tok.tokenId("<|eot_id|>").getAsInt());
        // This tokenizer.json names 128008 <|reserved_special_token_4|> (3.1 Instruct calls it <|eom_id|>).
        assertEquals(java.util.Set.of(128009, 128001), tok.stopIds());
        assertEquals("<|eot_id|>", tok.eosToken());
        assertTrue(tok.chatTemplate().isPresent());
    }

    @Test
    void specialTokensOnlyWhereAllowed() {
        String text = "a <|eot_id|> b";
        int[] allowed = tok.encode(text, false, true);
        int[] ordinary = tok.encode(text, false, false);
        assertTrue(Arrays.stream(allowed).anyMatch(i -> i == 128009));
        assertFalse(Arrays.stream(ordinary).anyMatch(i -> i >= 128000), Arrays.toString(ordinary));
        // Ordinary encoding is what the text's own pieces give: "<|", "eot", "_id", "|>" (tiktoken's encode_ordinary).
        assertEquals(text, tok.decode(ordinary, false));
        assertEquals(tok.decode(allowed, false), tok.decode(ordinary, false));
        // And text without special strings encodes identically either way.
        String plain = "Zürich, 日本 and 42 <| not special |>";
        assertArrayEquals(tok.encode(plain, false, true), tok.encode(plain, false, false));
    }

    @Test
    void codePointIndexesMapToUtf16IndexesAcrossSurrogatePairs() {
        // "a🦙b": code points a, 🦙 (two UTF-16 units), b.
        assertArrayEquals(new int[] {0, 1, 3, 4}, LlamaTokenizer.utf16Offsets("a\uD83E\uDD99b"));
        assertArrayEquals(new int[] {0}, LlamaTokenizer.utf16Offsets(""));
    }

    @Test
    void aLongPromptEncodesWithSpansUpToItsEnd() {
        // Was quadratic: every token rescanned its whole piece (a 640K-character prompt took 51 s; this one ~1 s).
        String text = "Zürich 🦙 and 42 words, ".repeat(12_000);     // 288,000 UTF-16 units, one piece
        TokenOffsets enc = tok.encodeWithOffsets(text, false, false);
        assertEquals(text.length(), enc.spans()[enc.spans().length - 1][1]);
        assertEquals(text, tok.decode(enc.ids(), false));
    }

    @Test
    void offsetsCoverTheText() {
        String text = "héllo 🦙 world\n\nok";
        TokenOffsets enc = tok.encodeWithOffsets(text, true, false);
        assertArrayEquals(new int[] {-1, -1}, enc.spans()[0]);
        // Byte-level BPE splits the llama emoji into several tokens that all map to its two UTF-16 units.
        StringBuilder rebuilt = new StringBuilder();
        int covered = 0;
        for (int i = 1; i < enc.ids().length; i++) {
            int start = enc.spans()[i][0];
            int end = enc.spans()[i][1];
            assertTrue(start <= covered && end >= start, "token " + i + " span " + start + "-" + end);
            if (end > covered) {
                rebuilt.append(text, covered, end);
                covered = end;
            }
        }
        assertEquals(text, rebuilt.toString());
    }

    @Test
    void malformedTokenizerIsAnInputError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        HerdInputException e = assertThrows(HerdInputException.class, () -> LlamaTokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertTrue(assertThrows(HerdInputException.class, () -> LlamaTokenizer.load(empty)).getMessage().contains("no tokenizer.json"));
    }
}
