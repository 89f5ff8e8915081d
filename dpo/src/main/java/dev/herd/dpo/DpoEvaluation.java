package dev.herd.dpo;

import ai.djl.Device;
import dev.herd.common.BinomialInterval;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** How well a policy's implicit reward ranks held-out pairs, against a reference model. */
public final class DpoEvaluation {

    /**
     * @param rewardAccuracy share of pairs whose chosen implicit reward beats the rejected one
     * @param low            95% interval, S ± 1.96·√(S(1−S)/n) clipped to [0, 1] (as Herd's evals report)
     * @param meanMargin     mean of β·[(log π − log π_ref)(chosen) − (log π − log π_ref)(rejected)]
     * @param chosenLogp     mean policy log-prob of chosen responses (summed over scored tokens)
     */
    public record Report(double rewardAccuracy, int n, double low, double high, double meanMargin, double chosenLogp,
                         double rejectedLogp, double loss) {}

    private DpoEvaluation() {}

    public static Report run(Path policy, Path ref, List<PreferencePair> pairs, int maxSeqLen, int batchSize,
                             DpoLoss loss, Device device) {
        List<DpoExample> examples;
        try (LlamaTokenizer tok = LlamaTokenizer.load(policy)) {
            examples = new DpoEncoder(ChatEncoder.of(tok), maxSeqLen).encode(pairs);
        }
        examples = ReferenceLogProbs.attach(ref, examples, null, batchSize, device);
        try (LlamaModel model = ModelFolder.load(policy, device)) {
            Map<String, Double> m = new DpoObjective(model, loss)
                    .evaluate(examples, batchSize);
            int n = examples.size();
            BinomialInterval ci = BinomialInterval.of(n == 0 ? 0 : m.get("reward_accuracy"), n);
            return new Report(ci.score(), n, ci.low(), ci.high(),
                    m.getOrDefault("margin", Double.NaN), m.getOrDefault("chosen_logp", Double.NaN),
                    m.getOrDefault("rejected_logp", Double.NaN), m.getOrDefault("loss", Double.NaN));
        }
    }
}
