package dev.herd.dpo;

import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.chat.EncodedChat;
import dev.herd.llama.chat.TokenKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders preference pairs with the checkpoint's chat template and marks the tokens DPO scores. Which tokens are
 * formatting comes from the template and the tokenizer's special tokens (see {@link EncodedChat#formatting()}),
 * not from hard-coded ids. Pairs whose longer sequence exceeds {@code max-seq-len} are dropped and counted:
 * truncating a response would compare a cut-off answer with a whole one.
 */
final class DpoEncoder {

    private final ChatEncoder chat;
    private final int maxSeqLen;
    private int dropped;

    public DpoEncoder(ChatEncoder chat, int maxSeqLen) {
        this.chat = chat;
        this.maxSeqLen = maxSeqLen;
    }

    /** Encodes every pair that fits; reference log-probs are left at 0 until computed. */
    public List<DpoExample> encode(List<PreferencePair> pairs) {
        List<DpoExample> out = new ArrayList<>();
        for (PreferencePair p : pairs) {
            ScoredSequence c = sequence(p.prompt(), p.better());
            ScoredSequence r = sequence(p.prompt(), p.worse());
            if (c.length() > maxSeqLen || r.length() > maxSeqLen || c.scoredTokens() == 0 || r.scoredTokens() == 0) {
                dropped++;
                continue;
            }
            out.add(new DpoExample(c, r, 0, 0));
        }
        return out;
    }

    /** The prompt followed by {@code response} as the assistant's turn, scoring only that turn's content. */
    public ScoredSequence sequence(List<ChatMessage> prompt, String response) {
        List<ChatMessage> messages = new ArrayList<>(prompt);
        messages.add(ChatMessage.assistant(response));
        EncodedChat enc = chat.encode(messages, false);
        int[] ids = enc.ids();
        boolean[] formatting = enc.formatting();
        // The final turn: the content tokens after the last formatting token that precedes them. Earlier
        // assistant turns belong to the prompt and never count.
        int end = ids.length;
        while (end > 0 && formatting[end - 1]) {
            end--;
        }
        int start = end;
        while (start > 0 && !formatting[start - 1] && enc.kinds()[start - 1] == TokenKind.ASSISTANT_CONTENT) {
            start--;
        }
        int n = ids.length - 1;
        int[] positions = new int[end - start];
        int[] targets = new int[end - start];
        for (int j = start; j < end; j++) {
            positions[j - start] = j - 1;        // the token at j is predicted from position j - 1
            targets[j - start] = ids[j];
        }
        return new ScoredSequence(Arrays.copyOf(ids, n), positions, targets);
    }

    public int dropped() {
        return dropped;
    }
}
