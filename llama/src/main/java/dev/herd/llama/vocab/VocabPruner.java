package dev.herd.llama.vocab;

import dev.herd.llama.tokenizer.LlamaTokenizer;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.chat.ChatTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Restricts a byte-level BPE tokenizer (Llama 3's) to the tokens some data uses, for small models whose
 * embedding and LM head would otherwise be almost all of their parameters.
 *
 * <p>The pruned tokenizer keeps: every token the original uses to encode the corpus (each text as it is and
 * stripped, with special-token strings recognised and not, and a small conversation rendered through the chat
 * template, so the template's markup is covered); every token a merge producing a kept token starts from,
 * recursively (for each kept token, each merge {@code a b} of the merge list with {@code a + b} equal to it);
 * the 256 single-byte tokens; and every added (special) token. It keeps exactly the merges whose two parts and
 * result are kept, in their original order, and renumbers densely: regular tokens in original id order to
 * {@code 0..n-1}, then added tokens in original id order to {@code n..}. Everything else in the files
 * (normalizer, pre-tokenizer, decoder, chat template, special-token texts) is copied unchanged.
 *
 * <p>Why the ids then map one-to-one on the corpus: pre-tokenization is the same, so both tokenizers see the
 * same words. A word the original finds whole in its vocabulary ({@code ignore_merges}) is kept, so the pruned
 * one finds it too. Otherwise both run BPE from the same bytes; every token the original's run makes is
 * part of a final, kept token, so every merge it applies is kept; the pruned merges are a subset of the
 * original's in the same order, so at each step the lowest-ranked applicable merge is the same one. Text
 * outside the corpus still encodes (any text is a sequence of the kept byte tokens) and decodes exactly; only
 * its ids may differ from the original's. {@link #prune} checks the one-to-one mapping on the corpus after
 * writing, with the written files.
 */
public final class VocabPruner {

    /** Files of a tokenizer folder that the pruner writes (the last copied as it is, when present). */
    public static final List<String> FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    /** Words the Llama 3 chat template adds around message contents, kept whatever the template renders. */
    static final List<String> TEMPLATE_WORDS = List.of("system", "user", "assistant", "ipython", "tool", "\n\n", "\n", " ");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private VocabPruner() {}

    /** What was written: the sizes and the id map between the pruned and the original tokenizer. */
    public static final class Result {
        private final Path dir;
        private final int[] oldIds;
        private final int[] newIds;
        private final int regularTokens;
        private final int keptMerges;
        private final int originalMerges;
        private final int texts;

        Result(Path dir, int[] oldIds, int originalSize, int regularTokens, int keptMerges, int originalMerges, int texts) {
            this.dir = dir;
            this.oldIds = oldIds;
            this.newIds = new int[originalSize];
            Arrays.fill(newIds, -1);
            for (int i = 0; i < oldIds.length; i++) {
                newIds[oldIds[i]] = i;
            }
            this.regularTokens = regularTokens;
            this.keptMerges = keptMerges;
            this.originalMerges = originalMerges;
            this.texts = texts;
        }

        /** The pruned tokenizer folder. */
        public Path dir() {
            return dir;
        }

        /** Ids in the pruned tokenizer. */
        public int size() {
            return oldIds.length;
        }

        /** Ids in the original tokenizer (highest id + 1). */
        public int originalSize() {
            return newIds.length;
        }

        /** Kept tokens of the BPE vocabulary (the 256 byte tokens included): ids {@code 0..regularTokens()-1}. */
        public int regularTokens() {
            return regularTokens;
        }

        /** Added (special) tokens, all kept, numbered after the regular ones. */
        public int addedTokens() {
            return oldIds.length - regularTokens;
        }

        public int keptMerges() {
            return keptMerges;
        }

        public int originalMerges() {
            return originalMerges;
        }

        /** Distinct corpus texts encoded (stripped forms and the template's words included). */
        public int texts() {
            return texts;
        }

        /** The original id of a pruned id. */
        public int oldId(int newId) {
            return oldIds[newId];
        }

        /** The pruned id of an original id, or -1 when the token was dropped. */
        public int newId(int oldId) {
            return oldId >= 0 && oldId < newIds.length ? newIds[oldId] : -1;
        }

        /** Pruned ids mapped back to the original's. */
        public int[] toOriginal(int[] ids) {
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = oldIds[ids[i]];
            }
            return out;
        }

        /** E.g. "vocabulary 1,742 of 128,256 tokens (1,486 regular, 256 of them bytes, + 256 added), 2,093 of 280,147 merges". */
        public String summary() {
            return String.format("vocabulary %,d of %,d tokens (%,d regular, 256 of them bytes, + %,d added), %,d of %,d merges",
                    size(), originalSize(), regularTokens, addedTokens(), keptMerges, originalMerges);
        }

        @Override
        public String toString() {
            return dir + ": " + summary();
        }
    }

    /**
     * Writes to {@code out} (replaced if it exists) the tokenizer of {@code full} restricted to what
     * {@code corpus} uses, and checks that the written tokenizer encodes every corpus text to the original's
     * ids, mapped.
     *
     * @param full   folder with {@code tokenizer.json} (byte-level BPE) and optionally {@code tokenizer_config.json}
     *               and {@code special_tokens_map.json}
     * @param corpus texts the pruned tokenizer must encode exactly as the original does
     * @param out    folder to write
     */
    public static Result prune(Path full, Collection<String> corpus, Path out) {
        Path file = full.resolve("tokenizer.json");
        ObjectNode root = readObject(file);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText()) || !model.path("vocab").isObject() || !model.path("merges").isArray()) {
            throw new HerdInputException(file + ": model: not a BPE tokenizer with vocab and merges; only BPE can be pruned");
        }
        if (!hasByteLevel(root.path("pre_tokenizer"))) {
            throw new HerdInputException(file + ": pre_tokenizer: no ByteLevel step; only byte-level BPE can be pruned "
                    + "(other text must still encode through the byte tokens)");
        }
        Map<String, Integer> vocab = new HashMap<>();
        int originalSize = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
            originalSize = Math.max(originalSize, e.getValue().asInt() + 1);
        }
        TreeMap<Integer, JsonNode> added = new TreeMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            added.put(t.path("id").asInt(), t);
            originalSize = Math.max(originalSize, t.path("id").asInt() + 1);
        }
        List<String[]> merges = new ArrayList<>();
        for (JsonNode m : model.get("merges")) {
            merges.add(mergeParts(m, file));
        }

        // 1. Tokens the original uses on the corpus, the template's markup and the ids the files refer to.
        BitSet kept = new BitSet(originalSize);
        Set<String> texts = distinctTexts(corpus);
        try (LlamaTokenizer original = LlamaTokenizer.load(full)) {
            for (String t : texts) {
                for (int id : original.encode(t, false, false)) {
                    kept.set(id);
                }
                for (int id : original.encode(t, false, true)) {
                    kept.set(id);
                }
            }
            for (int[] ids : templateEncodings(original)) {
                for (int id : ids) {
                    kept.set(id);
                }
            }
        }
        referencedIds(root.path("post_processor"), kept, originalSize);
        int padId = root.path("padding").path("pad_id").asInt(-1);
        if (padId >= 0 && padId < originalSize) {
            kept.set(padId);
        }
        added.keySet().forEach(kept::set);
        for (String b : byteAlphabet()) {
            Integer id = vocab.get(b);
            if (id == null) {
                throw new HerdInputException(file + ": model.vocab: no token for the byte " + b + "; not a byte-level BPE vocabulary");
            }
            kept.set(id);
        }

        // 2. Close under merges: the parts of every merge that makes a kept token are kept.
        Map<String, List<String[]>> producers = new HashMap<>();
        for (String[] m : merges) {
            producers.computeIfAbsent(m[0] + m[1], k -> new ArrayList<>(1)).add(m);
        }
        String[] tokenOf = new String[originalSize];
        vocab.forEach((t, id) -> tokenOf[id] = t);
        ArrayDeque<String> todo = new ArrayDeque<>();
        for (int id = kept.nextSetBit(0); id >= 0; id = kept.nextSetBit(id + 1)) {
            if (tokenOf[id] != null) {
                todo.add(tokenOf[id]);
            }
        }
        while (!todo.isEmpty()) {
            for (String[] m : producers.getOrDefault(todo.poll(), List.of())) {
                for (String part : m) {
                    Integer id = vocab.get(part);
                    if (id != null && !kept.get(id)) {
                        kept.set(id);
                        todo.add(part);
                    }
                }
            }
        }

        // 3. Renumber: regular tokens in original order, then added tokens in original order.
        int[] newIds = new int[originalSize];
        Arrays.fill(newIds, -1);
        List<Integer> old = new ArrayList<>();
        for (int id = kept.nextSetBit(0); id >= 0; id = kept.nextSetBit(id + 1)) {
            if (!added.containsKey(id) && tokenOf[id] != null) {
                newIds[id] = old.size();
                old.add(id);
            }
        }
        int regular = old.size();
        for (int id : added.keySet()) {
            newIds[id] = old.size();
            old.add(id);
        }

        // 4. Rewrite the files.
        ObjectNode newModel = (ObjectNode) root.get("model");
        ObjectNode newVocab = JSON.createObjectNode();
        for (int id : old) {
            if (tokenOf[id] != null) {
                newVocab.put(tokenOf[id], newIds[id]);
            }
        }
        newModel.set("vocab", newVocab);
        ArrayNode newMerges = JSON.createArrayNode();
        Iterator<JsonNode> source = model.get("merges").elements();
        for (String[] m : merges) {
            JsonNode original = source.next();
            Integer a = vocab.get(m[0]);
            Integer b = vocab.get(m[1]);
            Integer c = vocab.get(m[0] + m[1]);
            if (a != null && b != null && c != null && kept.get(a) && kept.get(b) && kept.get(c)) {
                newMerges.add(original);
            }
        }
        newModel.set("merges", newMerges);
        for (JsonNode t : root.path("added_tokens")) {
            ((ObjectNode) t).put("id", newIds[t.get("id").asInt()]);
        }
        remapIds(root.path("post_processor"), newIds, file);
        if (padId >= 0) {
            if (padId >= originalSize || newIds[padId] < 0) {
                throw new HerdInputException(file + ": padding.pad_id: " + padId + " is not a token of model.vocab or added_tokens");
            }
            ((ObjectNode) root.get("padding")).put("pad_id", newIds[padId]);
        }
        ObjectNode config = null;
        Path configFile = full.resolve("tokenizer_config.json");
        if (Files.exists(configFile)) {
            config = readObject(configFile);
            JsonNode decoder = config.get("added_tokens_decoder");
            if (decoder != null && decoder.isObject()) {
                TreeMap<Integer, JsonNode> byNewId = new TreeMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    int id = parseId(e.getKey(), configFile);
                    if (id >= originalSize || newIds[id] < 0) {
                        throw new HerdInputException(configFile + ": added_tokens_decoder: id " + id + " is not an added token of "
                                + file);
                    }
                    byNewId.put(newIds[id], e.getValue());
                }
                ObjectNode rewritten = JSON.createObjectNode();
                byNewId.forEach((id, v) -> rewritten.set(String.valueOf(id), v));
                config.set("added_tokens_decoder", rewritten);
            }
        }
        final ObjectNode finalConfig = config;
        ModelFolder.writeAtomically(out, tmp -> {
            write(tmp.resolve("tokenizer.json"), root);
            if (finalConfig != null) {
                write(tmp.resolve("tokenizer_config.json"), finalConfig);
            }
            Path map = full.resolve("special_tokens_map.json");
            if (Files.exists(map)) {
                Files.copy(map, tmp.resolve("special_tokens_map.json"));
            }
        });
        Result result = new Result(out, old.stream().mapToInt(Integer::intValue).toArray(), originalSize, regular,
                newMerges.size(), merges.size(), texts.size());
        verify(full, result, texts);
        return result;
    }

    /**
     * The original id of each id of a pruned tokenizer (index = pruned id), matched by token text: for a folder
     * written by {@link #prune}, e.g. a shipped one, whose {@link Result} is gone.
     */
    public static int[] originalIds(Path pruned, Path full) {
        Map<String, Integer> fullIds = tokenIds(full.resolve("tokenizer.json"));
        Map<String, Integer> prunedIds = tokenIds(pruned.resolve("tokenizer.json"));
        int[] out = new int[prunedIds.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        Arrays.fill(out, -1);
        prunedIds.forEach((token, id) -> {
            Integer old = fullIds.get(token);
            if (old == null) {
                throw new HerdInputException(pruned.resolve("tokenizer.json") + ": token " + quote(token) + " is not in "
                        + full.resolve("tokenizer.json"));
            }
            out[id] = old;
        });
        return out;
    }

    /** Every token of a tokenizer.json by text, added tokens included (they win over a vocabulary entry). */
    private static Map<String, Integer> tokenIds(Path file) {
        ObjectNode root = readObject(file);
        Map<String, Integer> ids = new HashMap<>();
        root.path("model").path("vocab").fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
        root.path("added_tokens").forEach(t -> ids.put(t.path("content").asText(), t.path("id").asInt()));
        return ids;
    }

    /**
     * The texts of corpus files: for a {@code .jsonl} or {@code .json} file every string value of every record,
     * at any depth (chat messages' contents included; keys are not text); for any other file its whole text
     * and each of its lines.
     */
    public static List<String> readCorpus(List<Path> files) {
        List<String> texts = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new HerdInputException(f + ": no such file");
            }
            String name = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            try {
                if (name.endsWith(".jsonl") || name.endsWith(".json")) {
                    if (name.endsWith(".json")) {
                        strings(readTree(f, Files.readString(f), 0), texts);
                        continue;
                    }
                    try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                        int n = 0;
                        for (String line = r.readLine(); line != null; line = r.readLine()) {
                            n++;
                            if (!line.isBlank()) {
                                strings(readTree(f, line, n), texts);
                            }
                        }
                    }
                } else {
                    String all = Files.readString(f);
                    texts.add(all);
                    texts.addAll(all.lines().toList());
                }
            } catch (java.nio.charset.MalformedInputException e) {
                throw new HerdInputException(f + ": not UTF-8 text");
            } catch (IOException e) {
                throw new HerdInputException(f + ": cannot read: " + e.getMessage());
            }
        }
        return texts;
    }

    private static JsonNode readTree(Path f, String text, int line) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new HerdInputException(f + (line > 0 ? ":" + line : "") + ": not valid JSON: "
                    + e.getMessage().split("\n")[0]);
        }
    }

    private static void strings(JsonNode n, List<String> out) {
        if (n == null) {
            return;
        }
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isContainerNode()) {
            n.elements().forEachRemaining(c -> strings(c, out));
        }
    }

    /** The corpus without repeats, with each text's stripped form (chat templates often trim contents). */
    private static Set<String> distinctTexts(Collection<String> corpus) {
        Set<String> texts = new LinkedHashSet<>();
        for (String t : corpus) {
            if (t == null || t.isEmpty()) {
                continue;
            }
            texts.add(t);
            String s = t.strip();
            if (!s.isEmpty()) {
                texts.add(s);
            }
        }
        texts.addAll(TEMPLATE_WORDS);
        return texts;
    }

    /** Encodings of small conversations as the chat encoder makes them: the template's markup, piece by piece. */
    private static List<int[]> templateEncodings(LlamaTokenizer tok) {
        Optional<ChatTemplate> template = tok.chatTemplate();
        if (template.isEmpty()) {
            return List.of();
        }
        ChatEncoder chat = new ChatEncoder(tok, template.get());
        List<int[]> out = new ArrayList<>();
        List<List<ChatMessage>> chats = List.of(
                List.of(ChatMessage.system("s"), ChatMessage.user("u"), ChatMessage.assistant("a"), ChatMessage.user("u")),
                List.of(ChatMessage.user("u"), ChatMessage.assistant("a")),
                List.of(ChatMessage.user("u")));
        for (List<ChatMessage> c : chats) {
            for (boolean prompt : new boolean[] {true, false}) {
                try {
                    var e = chat.encode(c, prompt);
                    out.add(e.ids());
                    out.add(tok.encode(e.text(), false, true));
                } catch (RuntimeException e) {
                    // A template that refuses this shape of conversation (e.g. no system turn): nothing to keep from it.
                }
            }
        }
        return out;
    }

    /** Checks the written tokenizer against the original on every text. */
    private static void verify(Path full, Result result, Set<String> texts) {
        try (LlamaTokenizer original = LlamaTokenizer.load(full); LlamaTokenizer pruned = LlamaTokenizer.load(result.dir())) {
            if (pruned.vocabSize() != result.size()) {
                throw new IllegalStateException(result.dir() + ": wrote " + pruned.vocabSize() + " ids, expected " + result.size());
            }
            for (String t : texts) {
                for (boolean special : new boolean[] {false, true}) {
                    int[] want = original.encode(t, false, special);
                    int[] got = result.toOriginal(pruned.encode(t, false, special));
                    if (!Arrays.equals(want, got)) {
                        throw new IllegalStateException("pruned tokenizer differs from " + full + " on " + quote(t)
                                + ": " + Arrays.toString(got) + " vs " + Arrays.toString(want));
                    }
                }
            }
            List<int[]> want = templateEncodings(original);
            List<int[]> got = templateEncodings(pruned);
            for (int i = 0; i < want.size(); i++) {
                if (i >= got.size() || !Arrays.equals(want.get(i), result.toOriginal(got.get(i)))) {
                    throw new IllegalStateException("pruned tokenizer renders the chat template differently from " + full);
                }
            }
        }
    }

    /** The 256 characters GPT-2's byte-level mapping gives the bytes 0..255 (each one token of the vocabulary). */
    static List<String> byteAlphabet() {
        List<String> out = new ArrayList<>(256);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out.add(new String(Character.toChars(printable ? b : 256 + n++)));
        }
        return out;
    }

    private static boolean hasByteLevel(JsonNode preTokenizer) {
        if ("ByteLevel".equals(preTokenizer.path("type").asText())) {
            return true;
        }
        for (JsonNode p : preTokenizer.path("pretokenizers")) {
            if (hasByteLevel(p)) {
                return true;
            }
        }
        return false;
    }

    /** A merge as written in tokenizer.json: "a b" (older files) or ["a", "b"]. */
    private static String[] mergeParts(JsonNode m, Path file) {
        if (m.isTextual()) {
            String s = m.asText();
            int space = s.indexOf(' ');
            if (space > 0 && space == s.lastIndexOf(' ') && space < s.length() - 1) {
                return new String[] {s.substring(0, space), s.substring(space + 1)};
            }
        } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
            return new String[] {m.get(0).asText(), m.get(1).asText()};
        }
        throw new HerdInputException(file + ": model.merges: not a merge of two tokens: " + m);
    }

    /**
     * Ids the post-processor refers to: TemplateProcessing's {@code special_tokens.*.ids}, and the
     * {@code [token, id]} pairs of Bert/Roberta processing ({@code cls}, {@code sep}).
     */
    private static void referencedIds(JsonNode n, BitSet out, int size) {
        visitIds(n, (holder, key, index) -> {
            int id = holder.get(key).get(index).asInt();
            if (id >= 0 && id < size) {
                out.set(id);   // out of range: remapIds names it
            }
        });
    }

    private static void remapIds(JsonNode n, int[] newIds, Path file) {
        visitIds(n, (holder, key, index) -> {
            int old = holder.get(key).get(index).asInt();
            if (old < 0 || old >= newIds.length || newIds[old] < 0) {
                throw new HerdInputException(file + ": post_processor: id " + old + " is not a token of model.vocab or added_tokens");
            }
            ((ArrayNode) holder.get(key)).set(index, JSON.getNodeFactory().numberNode(newIds[old]));
        });
    }

    private interface IdVisitor {
        void visit(ObjectNode holder, String key, int index);
    }

    private static void visitIds(JsonNode n, IdVisitor v) {
        if (n == null || !n.isContainerNode()) {
            return;
        }
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            if (o.path("special_tokens").isObject()) {
                for (JsonNode t : o.get("special_tokens")) {
                    if (t.path("ids").isArray()) {
                        for (int i = 0; i < t.get("ids").size(); i++) {
                            v.visit((ObjectNode) t, "ids", i);
                        }
                    }
                }
            }
            for (String pair : List.of("cls", "sep")) {
                JsonNode p = o.get(pair);
                if (p != null && p.isArray() && p.size() == 2 && p.get(1).isIntegralNumber()) {
                    v.visit(o, pair, 1);
                }
            }
        }
        n.elements().forEachRemaining(c -> visitIds(c, v));
    }

    private static int parseId(String key, Path file) {
        try {
            return Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw new HerdInputException(file + ": added_tokens_decoder: key '" + key + "' is not an id");
        }
    }

    private static ObjectNode readObject(Path file) {
        if (!Files.exists(file)) {
            throw new HerdInputException(file.getParent() + ": no " + file.getFileName());
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw new HerdInputException(file + ": not a JSON object");
            }
            return (ObjectNode) n;
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
    }

    /** Pretty-printed like Hugging Face's files: two-space indents, one value per line, "key": value. */
    private static void write(Path file, JsonNode n) throws IOException {
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
                .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        Files.writeString(file, JSON.writer(pp).writeValueAsString(n) + "\n", StandardCharsets.UTF_8);
    }

    /** A short, escaped rendering of a text for error messages. */
    private static String quote(String t) {
        String s = t.length() > 80 ? t.substring(0, 80) + "…" : t;
        return "\"" + s.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }
}
