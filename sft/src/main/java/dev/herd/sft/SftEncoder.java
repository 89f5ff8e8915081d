package dev.herd.sft;

import dev.herd.datasets.SftExample;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.EncodedChat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders SFT conversations with the checkpoint's chat template and turns them into next-token examples with
 * the answer-only mask; sequences longer than the limit are truncated or dropped, and counted.
 */
public final class SftEncoder {

    /** What to do with a conversation longer than {@code max-seq-len}. */
    public enum Overlong { TRUNCATE, DROP }

    private final ChatEncoder chat;
    private final int maxSeqLen;
    private final Overlong overlong;
    private int truncated;
    private int dropped;

    public SftEncoder(ChatEncoder chat, int maxSeqLen, Overlong overlong) {
        this.chat = chat;
        this.maxSeqLen = maxSeqLen;
        this.overlong = overlong;
    }

    public List<TrainExample> encode(List<SftExample> examples) {
        List<TrainExample> out = new ArrayList<>();
        for (SftExample e : examples) {
            TrainExample t = encode(e);
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** The example, or null when it is dropped (too long, or nothing left to learn after truncation). */
    public TrainExample encode(SftExample example) {
        EncodedChat enc = chat.encode(example.messages(), false);
        int[] ids = enc.ids();
        boolean[] targets = enc.sftTargets();
        int n = ids.length - 1;
        if (n > maxSeqLen) {
            if (overlong == Overlong.DROP) {
                dropped++;
                return null;
            }
            truncated++;
            n = maxSeqLen;
        }
        int[] input = Arrays.copyOf(ids, n);
        int[] target = Arrays.copyOfRange(ids, 1, n + 1);
        boolean[] loss = Arrays.copyOfRange(targets, 1, n + 1);
        TrainExample t = new TrainExample(input, target, loss);
        if (t.targetTokens() == 0) {
            dropped++;
            return null;
        }
        return t;
    }

    public int truncated() {
        return truncated;
    }

    public int dropped() {
        return dropped;
    }
}
