package dev.herd.llama.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} (Llama 3's tiktoken-style BPE) with its {@code tokenizer_config.json}.
 *
 * <p>Special tokens ({@code <|eot_id|>} and the like) are recognised only where the caller allows it: text
 * from users goes through {@link #encode(String, boolean, boolean)} with {@code allowSpecial = false}, so a
 * user who types "&lt;|eot_id|&gt;" gets ordinary text tokens, as tiktoken's {@code encode_ordinary} would
 * give, and cannot end a turn early.
 */
public final class LlamaTokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> special;      // special added tokens by text
    private final int vocabSize;
    private final String bosToken;
    private final String eosToken;
    private final JsonNode tokenizerConfig;          // may be an empty object
    private final Path dir;

    private LlamaTokenizer(Path dir, HuggingFaceTokenizer tokenizer, Map<String, Integer> special, int vocabSize,
                           String bosToken, String eosToken, JsonNode tokenizerConfig) {
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.special = special;
        this.vocabSize = vocabSize;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.tokenizerConfig = tokenizerConfig;
    }

    /** Whether {@code dir} holds a tokenizer. */
    public static boolean present(Path dir) {
        return Files.exists(dir.resolve("tokenizer.json"));
    }

    public static LlamaTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) {
            throw new HerdInputException(dir + ": no tokenizer.json");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (root == null || !root.has("model")) {
            throw new HerdInputException(file + ": not a Hugging Face tokenizer (no 'model' key)");
        }
        Map<String, Integer> special = new LinkedHashMap<>();
        int max = -1;
        for (JsonNode id : (Iterable<JsonNode>) root.path("model").path("vocab")::elements) {
            max = Math.max(max, id.asInt());
        }
        for (JsonNode t : root.path("added_tokens")) {
            max = Math.max(max, t.path("id").asInt());
            if (t.path("special").asBoolean(false)) {
                special.put(t.path("content").asText(), t.path("id").asInt());
            }
        }
        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = JSON.createObjectNode();
        if (Files.exists(configFile)) {
            try {
                config = JSON.readTree(configFile.toFile());
            } catch (IOException e) {
                throw new HerdInputException(configFile + ": not valid JSON: " + e.getMessage().split("\n")[0]);
            }
        }
        HuggingFaceTokenizer hf;
        try {
            // Truncation off: DJL truncates to 512 tokens by default. Special tokens are added by the caller.
            hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optTruncation(false).optPadding(false)
                    .optAddSpecialTokens(false).build();
        } catch (IOException | RuntimeException e) {
            throw new HerdInputException(file + ": cannot load tokenizer: " + e.getMessage());
        }
        String bos = tokenText(config.get("bos_token"));
        String eos = tokenText(config.get("eos_token"));
        if (bos == null && special.containsKey("<|begin_of_text|>")) {
            bos = "<|begin_of_text|>";
        }
        return new LlamaTokenizer(dir, hf, Collections.unmodifiableMap(special), max + 1, bos, eos, config);
    }

    /** tokenizer_config.json writes tokens as a string or as {"content": ...}. */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    public Path dir() {
        return dir;
    }

    /** Number of ids (highest id + 1). */
    public int vocabSize() {
        return vocabSize;
    }

    public Map<String, Integer> specialTokens() {
        return special;
    }

    public OptionalInt tokenId(String token) {
        Integer id = special.get(token);
        if (id != null) {
            return OptionalInt.of(id);
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? OptionalInt.of((int) ids[0]) : OptionalInt.empty();
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    public int bosId() {
        return bosToken == null ? -1 : tokenId(bosToken).orElse(-1);
    }

    /**
     * Tokens that end generation: the configured eos plus Llama 3's end-of-turn and end-of-message tokens,
     * where the vocabulary has them.
     */
    public Set<Integer> stopIds() {
        Set<Integer> ids = new LinkedHashSet<>();
        if (eosToken != null) {
            tokenId(eosToken).ifPresent(ids::add);
        }
        for (String t : List.of("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>")) {
            Integer id = special.get(t);
            if (id != null) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** The raw tokenizer_config.json (an empty object when absent). */
    public JsonNode config() {
        return tokenizerConfig;
    }

    public Optional<dev.herd.llama.chat.ChatTemplate> chatTemplate() {
        return dev.herd.llama.chat.ChatTemplate.fromTokenizerConfig(tokenizerConfig, dir.resolve("tokenizer_config.json"));
    }

    /**
     * Token ids of {@code text}.
     *
     * @param addBos       prepend the begin-of-text token
     * @param allowSpecial whether special-token strings in the text become special tokens
     */
    public int[] encode(String text, boolean addBos, boolean allowSpecial) {
        return encodeWithOffsets(text, addBos, allowSpecial).ids();
    }

    /** Ids with each token's [start, end) character range in {@code text} (-1 for an added BOS). */
    public TokenOffsets encodeWithOffsets(String text, boolean addBos, boolean allowSpecial) {
        List<Integer> ids = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        if (addBos && bosId() >= 0) {
            ids.add(bosId());
            spans.add(new int[] {-1, -1});
        }
        if (allowSpecial) {
            appendPiece(text, 0, text.length(), ids, spans);
        } else {
            // Cut every special-token string after its leading "<|": that is a pre-tokenizer boundary anyway
            // (punctuation, then letters), so the pieces encode exactly as ordinary text would, and no piece
            // holds a whole special token for the native tokenizer to match.
            int from = 0;
            for (int cut : specialCuts(text)) {
                appendPiece(text, from, cut, ids, spans);
                from = cut;
            }
            appendPiece(text, from, text.length(), ids, spans);
        }
        return new TokenOffsets(ids.stream().mapToInt(Integer::intValue).toArray(), spans.toArray(new int[0][]));
    }

    private List<Integer> specialCuts(String text) {
        List<Integer> cuts = new ArrayList<>();
        for (String s : special.keySet()) {
            if (s.length() < 2) {
                continue;
            }
            int at = text.indexOf(s);
            while (at >= 0) {
                cuts.add(at + 1);
                cuts.add(at + 2);
                at = text.indexOf(s, at + 1);
            }
        }
        Collections.sort(cuts);
        return cuts;
    }

    /** {@code offsets[k]} = the UTF-16 index of code point {@code k} of {@code s}; the last entry is {@code s.length()}. */
    static int[] utf16Offsets(String s) {
        int[] offsets = new int[s.codePointCount(0, s.length()) + 1];
        int k = 0;
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            offsets[k++] = i;
        }
        offsets[k] = s.length();
        return offsets;
    }

    private void appendPiece(String text, int from, int to, List<Integer> ids, List<int[]> spans) {
        if (from >= to) {
            return;
        }
        String piece = text.substring(from, to);
        Encoding e = tokenizer.encode(piece, false, false);
        long[] pieceIds = e.getIds();
        CharSpan[] cs = e.getCharTokenSpans();
        // The native tokenizer counts code points; Java strings count UTF-16 units. One table per piece, not a
        // rescan of the piece per token (which made a long prompt's encoding quadratic).
        int[] utf16 = utf16Offsets(piece);
        for (int i = 0; i < pieceIds.length; i++) {
            ids.add((int) pieceIds[i]);
            CharSpan c = cs == null || i >= cs.length ? null : cs[i];
            if (c == null) {
                spans.add(new int[] {from, from});
            } else {
                int last = utf16.length - 1;
                spans.add(new int[] {from + utf16[Math.min(c.getStart(), last)], from + utf16[Math.min(c.getEnd(), last)]});
            }
        }
    }

    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecial);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
