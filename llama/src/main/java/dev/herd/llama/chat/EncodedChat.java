package dev.herd.llama.chat;

/**
 * A conversation rendered by its chat template and tokenized, with the kind of every token.
 *
 * @param text  the rendered text
 * @param ids   token ids (the template's own begin-of-text included, no second one added)
 * @param kinds per token
 */
public record EncodedChat(String text, int[] ids, TokenKind[] kinds) {

    /** Tokens SFT trains on: every assistant turn's content and the end-of-turn token that closes it. */
    public boolean[] sftTargets() {
        boolean[] out = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = kinds[i] == TokenKind.ASSISTANT_CONTENT || kinds[i] == TokenKind.ASSISTANT_END;
        }
        return out;
    }

    /** Formatting tokens (headers, end-of-turn/message tokens) that DPO leaves out of both log-probs. */
    public boolean[] formatting() {
        boolean[] out = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = kinds[i] == TokenKind.FORMAT || kinds[i] == TokenKind.ASSISTANT_END;
        }
        return out;
    }

    public int length() {
        return ids.length;
    }
}
