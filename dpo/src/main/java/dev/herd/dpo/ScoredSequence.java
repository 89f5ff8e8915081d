package dev.herd.dpo;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A prompt + response rendered by the chat template, as next-token inputs with the positions whose targets
 * count towards log π(y|x): the response's own content tokens. Prompt tokens never count, nor do formatting
 * tokens (the header, the end-of-turn), which chosen and rejected share.
 *
 * @param input     token ids fed to the model (the rendered conversation without its last token)
 * @param positions indices into {@code input} whose next token is scored, ascending
 * @param targets   the scored next tokens, one per position
 */
record ScoredSequence(int[] input, int[] positions, int[] targets) {

    public int length() {
        return input.length;
    }

    public int scoredTokens() {
        return positions.length;
    }

    /** A digest of what decides this sequence's log-prob under a fixed model: the key of its cached reference value. */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * (input.length + positions.length + targets.length + 2));
            b.putInt(input.length);
            for (int id : input) {
                b.putInt(id);
            }
            b.putInt(positions.length);
            for (int i = 0; i < positions.length; i++) {
                b.putInt(positions[i]).putInt(targets[i]);
            }
            md.update(b.array());
            return HexFormat.of().formatHex(md.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
