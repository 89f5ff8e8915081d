package dev.herd.rm;

import dev.herd.datasets.Preference;
import dev.herd.datasets.Strength;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Renders rankings with the checkpoint's chat template: the prompt with the assistant header once, each
 * response as the tokens that follow it in the full conversation (content and end-of-turn), so the reward is
 * read at the end-of-turn token exactly as when scoring the whole conversation.
 */
public final class RankingEncoder {

    /** Which pairs of a ranking train the model. */
    public enum Pairs { ALL, CHOSEN_REJECTED }

    /**
     * Llama 2's discrete margins by strength (the "small" set of its Table 28 scaled to 1), applied to the
     * (chosen, rejected) pair only when margins are on.
     */
    static double margin(Strength s) {
        if (s == null) {
            return 0;
        }
        return switch (s) {
            case SIGNIFICANTLY_BETTER -> 1.0;
            case BETTER -> 2.0 / 3;
            case SLIGHTLY_BETTER -> 1.0 / 3;
            case MARGINALLY_BETTER -> 0;
        };
    }

    private final ChatEncoder chat;
    private final int maxSeqLen;
    private final Pairs pairs;
    private final boolean margins;
    private final Set<Strength> strengths;
    private int dropped;

    /** @param strengths graded rankings kept (ungraded ones always are) */
    public RankingEncoder(ChatEncoder chat, int maxSeqLen, Pairs pairs, boolean margins, Set<Strength> strengths) {
        this.chat = chat;
        this.maxSeqLen = maxSeqLen;
        this.pairs = pairs;
        this.margins = margins;
        this.strengths = strengths;
    }

    public List<EncodedRanking> encode(List<Preference> rankings) {
        List<EncodedRanking> out = new ArrayList<>();
        for (Preference p : rankings) {
            if (p.strength() != null && !strengths.contains(p.strength())) {
                continue;
            }
            List<String> ranked = pairs == Pairs.ALL ? p.ranked() : List.of(p.chosen(), p.rejected());
            int[] prompt = chat.encode(p.prompt(), true).ids();
            List<int[]> responses = new ArrayList<>();
            for (String r : ranked) {
                responses.add(response(p.prompt(), prompt, r));
            }
            EncodedRanking e = new EncodedRanking(prompt, responses, pairMargins(ranked.size(), p, ranked), p.split());
            if (e.length() > maxSeqLen) {
                dropped++;
                continue;
            }
            out.add(e);
        }
        return out;
    }

    private double[] pairMargins(int k, Preference p, List<String> ranked) {
        double[] m = new double[k * (k - 1) / 2];
        if (!margins) {
            return m;
        }
        int n = 0;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                boolean chosenVsRejected = ranked.get(i).equals(p.chosen()) && ranked.get(j).equals(p.rejected());
                m[n++] = chosenVsRejected ? margin(p.strength()) : 0;
            }
        }
        return m;
    }

    /** The tokens that follow the prompt when {@code answer} is the assistant's turn. */
    public int[] response(List<ChatMessage> promptMessages, int[] prompt, String answer) {
        List<ChatMessage> full = new ArrayList<>(promptMessages);
        full.add(ChatMessage.assistant(answer));
        int[] ids = chat.encode(full, false).ids();
        if (ids.length <= prompt.length || !Arrays.equals(Arrays.copyOf(ids, prompt.length), prompt)) {
            String shown = answer.length() > 60 ? answer.substring(0, 60) + "..." : answer;
            throw new HerdInputException("the chat template does not render the answer " + new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(shown).toString()
                    + " as a continuation of the prompt with its generation header; the reward model needs that to read "
                    + "rewards at the answer's end");
        }
        return Arrays.copyOfRange(ids, prompt.length, ids.length);
    }

    /** Rankings over the length limit, dropped and counted. */
    public int dropped() {
        return dropped;
    }
}
