package dev.herd.llama.chat;

import dev.herd.common.HerdInputException;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.tokenizer.TokenOffsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders conversations with a chat template and tokenizes them, labelling each token (see {@link TokenKind}).
 *
 * <p>Each message's content is located in the rendered text (in order, after the previous one, as the
 * template emits it, trimmed or not), and tokens are labelled by their character ranges. Only the template's
 * own markup may produce special tokens: inside message content, "&lt;|eot_id|&gt;" stays text.
 */
public final class ChatEncoder {

    private final LlamaTokenizer tokenizer;
    private final ChatTemplate template;
    private final Set<Integer> turnEnds;

    public ChatEncoder(LlamaTokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.turnEnds = new java.util.HashSet<>();
        for (String t : List.of("<|eot_id|>", "<|eom_id|>")) {
            tokenizer.tokenId(t).ifPresent(turnEnds::add);
        }
    }

    /** The encoder of a model folder's tokenizer and chat template. */
    public static ChatEncoder of(LlamaTokenizer tokenizer) {
        ChatTemplate t = tokenizer.chatTemplate().orElseThrow(() -> new HerdInputException(
                tokenizer.dir().resolve("tokenizer_config.json") + ": no chat_template"));
        return new ChatEncoder(tokenizer, t);
    }

    public ChatTemplate template() {
        return template;
    }

    public LlamaTokenizer tokenizer() {
        return tokenizer;
    }

    public EncodedChat encode(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return encode(ChatTemplate.toMaps(messages), null, addGenerationPrompt, Map.of());
    }

    public EncodedChat encode(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                              boolean addGenerationPrompt, Map<String, Object> extra) {
        String bos = tokenizer.bosToken() == null ? "" : tokenizer.bosToken();
        String eos = tokenizer.eosToken() == null ? "" : tokenizer.eosToken();
        java.time.LocalDateTime now = java.time.LocalDateTime.now();
        String text = template.render(messages, tools, addGenerationPrompt, extra, bos, eos, now);
        // Character ranges of each message's content in the text, with the role it came from.
        List<int[]> ranges = locateByMarkers(messages, tools, addGenerationPrompt, extra, bos, eos, now, text);
        if (ranges == null) {
            ranges = locateBySearch(messages, text);
        }
        // Encode: markup with special tokens allowed, content with them disallowed.
        List<Integer> ids = new ArrayList<>();
        List<TokenKind> kinds = new ArrayList<>();
        int pos = 0;
        for (int[] r : ranges) {
            append(text, pos, r[0], true, TokenKind.FORMAT, ids, kinds);
            append(text, r[0], r[1], false, r[2] == 1 ? TokenKind.ASSISTANT_CONTENT : TokenKind.PROMPT_CONTENT, ids, kinds);
            pos = r[1];
        }
        append(text, pos, text.length(), true, TokenKind.FORMAT, ids, kinds);
        // Assistant tool calls render without content; label the markup between an assistant header and its
        // turn end as assistant content too, then mark the closing token.
        labelAssistantTurns(ids, kinds);
        return new EncodedChat(text, ids.stream().mapToInt(Integer::intValue).toArray(), kinds.toArray(new TokenKind[0]));
    }

    /**
     * Finds each message's content by rendering the conversation a second time with every content replaced by a
     * marker: the text between markers is the template's markup, so the content is whatever the real rendering
     * puts between two stretches of markup. A plain search for the content would find "h" inside
     * "&lt;|start_header_id|&gt;" or "Date" in the system header. Null when the template makes the two renderings
     * differ in more than the content (it inspects or rewrites it), or puts contents out of order.
     */
    private List<int[]> locateByMarkers(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                                        boolean addGenerationPrompt, Map<String, Object> extra, String bos, String eos,
                                        java.time.LocalDateTime now, String text) {
        List<Map<String, Object>> marked = new ArrayList<>();
        List<Integer> withContent = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            Map<String, Object> m = messages.get(i);
            if (m.get("content") instanceof String c && !c.isBlank()) {
                Map<String, Object> copy = new java.util.LinkedHashMap<>(m);
                copy.put("content", marker(i));
                marked.add(copy);
                withContent.add(i);
            } else {
                marked.add(m);
            }
        }
        String skeleton;
        try {
            skeleton = template.render(marked, tools, addGenerationPrompt, extra, bos, eos, now);
        } catch (RuntimeException e) {
            return null;
        }
        List<int[]> ranges = new ArrayList<>();
        int sk = 0;   // position in the skeleton
        int tx = 0;   // the same position in the real text
        for (int i : withContent) {
            String mk = marker(i);
            int at = skeleton.indexOf(mk, sk);
            if (at < 0) {
                return null;   // content dropped, repeated out of order or rewritten
            }
            String markup = skeleton.substring(sk, at);
            if (!text.startsWith(markup, tx)) {
                return null;
            }
            tx += markup.length();
            sk = at + mk.length();
            int nextMarker = skeleton.indexOf('\uE000', sk);
            String following = skeleton.substring(sk, nextMarker < 0 ? skeleton.length() : nextMarker);
            String content = (String) messages.get(i).get("content");
            int len = -1;
            for (String rendered : List.of(content, content.strip())) {
                if (text.startsWith(rendered, tx) && text.startsWith(following, tx + rendered.length())) {
                    len = rendered.length();
                    break;
                }
            }
            if (len < 0) {
                return null;
            }
            ranges.add(new int[] {tx, tx + len, "assistant".equals(messages.get(i).get("role")) ? 1 : 0});
            tx += len;
        }
        return text.substring(tx).equals(skeleton.substring(sk)) ? ranges : null;
    }

    private static String marker(int i) {
        return "\uE000" + i + "\uE001";
    }

    /** The fallback: each content where it next occurs, outside special-token strings. */
    private List<int[]> locateBySearch(List<Map<String, Object>> messages, String text) {
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        for (Map<String, Object> m : messages) {
            Object c = m.get("content");
            if (!(c instanceof String content) || content.isBlank()) {
                continue;
            }
            String needle = content;
            int at = find(text, needle, from);
            if (at < 0) {
                needle = content.strip();
                at = find(text, needle, from);
            }
            if (at < 0) {
                continue; // the template rewrote this content (e.g. tools folded in); its tokens stay FORMAT
            }
            ranges.add(new int[] {at, at + needle.length(), "assistant".equals(m.get("role")) ? 1 : 0});
            from = at + needle.length();
        }
        return ranges;
    }

    private int find(String text, String needle, int from) {
        for (int at = text.indexOf(needle, from); at >= 0; at = text.indexOf(needle, at + 1)) {
            if (!insideSpecialToken(text, at, at + needle.length())) {
                return at;
            }
        }
        return -1;
    }

    private boolean insideSpecialToken(String text, int start, int end) {
        for (String s : tokenizer.specialTokens().keySet()) {
            // Any occurrence that begins in (start - length, end) overlaps [start, end).
            int at = text.indexOf(s, Math.max(0, start - s.length() + 1));
            if (at >= 0 && at < end) {
                return true;
            }
        }
        return false;
    }

    private void append(String text, int from, int to, boolean allowSpecial, TokenKind kind, List<Integer> ids,
                        List<TokenKind> kinds) {
        if (from >= to) {
            return;
        }
        TokenOffsets enc = tokenizer.encodeWithOffsets(text.substring(from, to), false, allowSpecial);
        for (int id : enc.ids()) {
            ids.add(id);
            kinds.add(kind);
        }
    }

    /**
     * Walks the token stream: after {@code <|start_header_id|>assistant<|end_header_id|>} and its blank line,
     * everything up to the turn's end token is the assistant's (content or tool call), and that end token is
     * {@link TokenKind#ASSISTANT_END}.
     */
    private void labelAssistantTurns(List<Integer> ids, List<TokenKind> kinds) {
        int start = tokenizer.tokenId("<|start_header_id|>").orElse(-1);
        int end = tokenizer.tokenId("<|end_header_id|>").orElse(-1);
        int i = 0;
        while (i < ids.size()) {
            if (ids.get(i) != start) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < ids.size() && ids.get(j) != end) {
                j++;
            }
            String role = tokenizer.decode(ids.subList(i + 1, j).stream().mapToInt(Integer::intValue).toArray(), false);
            int body = j + 1;
            // The blank line after the header is markup, whether it is its own token or not.
            while (body < ids.size() && kinds.get(body) == TokenKind.FORMAT
                    && tokenizer.decode(new int[] {ids.get(body)}, false).isBlank()) {
                body++;
            }
            int k = body;
            while (k < ids.size() && !turnEnds.contains(ids.get(k)) && ids.get(k) != start) {
                if (role.equals("assistant") && kinds.get(k) == TokenKind.FORMAT) {
                    kinds.set(k, TokenKind.ASSISTANT_CONTENT);
                }
                k++;
            }
            if (role.equals("assistant") && k < ids.size() && turnEnds.contains(ids.get(k))) {
                kinds.set(k, TokenKind.ASSISTANT_END);
            }
            i = Math.max(k, i + 1);
        }
    }
}
