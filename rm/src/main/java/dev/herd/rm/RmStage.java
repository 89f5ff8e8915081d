package dev.herd.rm;

import dev.herd.common.HerdInputException;
import dev.herd.datasets.Preference;
import dev.herd.datasets.SampleRow;
import dev.herd.datasets.Score;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.llama.Devices;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.lora.AdapterFolder;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.llama.train.HeldOut;
import dev.herd.llama.train.LoraTraining;
import dev.herd.llama.train.RunRecord;
import dev.herd.llama.train.Trainee;
import dev.herd.llama.train.TrainerRun;
import dev.herd.llama.train.TrainingConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reward-model stage: Bradley-Terry training on rankings with the shared training loop (an HF
 * sequence-classification folder at {@code out}, checkpoints in {@code <out>.ckpt/} that a re-run resumes), and
 * scoring the store's samples with a trained reward model.
 */
public final class RmStage {

    private RmStage() {}

    /** Trains a reward model from {@code base}'s decoder (and a new score head) on {@code rankings}. */
    public static RmResult train(Path base, List<Preference> rankings, Path out, RmConfig config) {
        TrainingConfig c = config.training();
        TrainerRun run = new TrainerRun(out, c).rowsPerExample(3);     // edited, chosen, rejected
        if (!LlamaTokenizer.present(base)) {
            throw new HerdInputException(base + ": no tokenizer.json (the reward model renders rankings with its chat template)");
        }
        List<EncodedRanking> all;
        RankingEncoder encoder;
        try (LlamaTokenizer tok = LlamaTokenizer.load(base)) {
            encoder = new RankingEncoder(ChatEncoder.of(tok), c.maxSeqLen(), config.pairs(), config.margin(), config.strengths());
            all = encoder.encode(rankings);
        }
        HeldOut.Split<EncodedRanking> split = HeldOut.split(all, e -> HeldOut.marked(e.split()), config.evalFraction(), c.seed());
        List<EncodedRanking> train = split.train();
        List<EncodedRanking> heldOut = split.eval();
        if (train.isEmpty()) {
            throw new HerdInputException("no rankings to train on (after the strength filter and --max-seq-len)");
        }
        System.err.printf("rm: %d train / %d held-out rankings (%d pairs); %d dropped (over max-seq-len)%n", train.size(),
                heldOut.size(), train.stream().mapToInt(e -> e.pairs().length).sum(), encoder.dropped());
        run.start(RunRecord.of("rm", c).model("base", base)
                .setting("pairs", config.pairs()).setting("margin", config.margin()).setting("strengths", config.strengths())
                .setting("eval-fraction", config.evalFraction()).lora(config.lora())
                .data(train, (r, d) -> {
                    d.ints(r.prompt()).doubles(r.margins()).ints(new int[] {r.responses().size()});
                    r.responses().forEach(d::ints);
                }));
        try (RewardModel rm = RewardModel.initFrom(base, c.seed(), Devices.parse(config.device()))) {
            BradleyTerryObjective objective = new BradleyTerryObjective(rm);
            Trainee trainee = config.lora().enabled() ? loraTrainee(rm, base, config.lora(), c.seed()) : trainee(rm, base);
            TrainerRun.Finished f = run.train(trainee, train, objective,
                    heldOut.isEmpty() ? null : () -> objective.evaluate(heldOut, run.forwardBatch()), 0, RmStage::line);
            return new RmResult(f.model(), f.metrics(), f.finishedBefore());
        }
    }

    private static String line(int step, Map<String, Double> m) {
        return String.format("step %d: loss %.4f  pairwise-acc %.3f  margin %.3f%s  lr %.2e  grad-norm %.3f  %.0f tokens/s", step,
                m.get("loss"), m.get("pairwise_accuracy"), m.get("margin"),
                m.containsKey("eval_loss") ? String.format("  | held-out loss %.4f  acc %.3f", m.get("eval_loss"),
                        m.get("eval_pairwise_accuracy")) : "", m.get("lr"), m.get("grad_norm"), m.get("tokens_per_s"));
    }

    /** A reward model as the shared run sees it, written with {@code base}'s tokenizer and chat template. */
    private static Trainee trainee(RewardModel rm, Path base) {
        return new Trainee() {
            @Override
            public dev.herd.llama.LlamaConfig config() {
                return rm.config();
            }

            @Override
            public Map<String, NDArray> parameters() {
                return rm.parameters();
            }

            @Override
            public NDManager newStepManager() {
                return rm.newStepManager();
            }

            @Override
            public void requireGradients(boolean on) {
                rm.requireGradients(on);
            }

            @Override
            public void save(Path out, ModelFolder.FolderWriter extra) {
                rm.save(out, base, extra);
            }
        };
    }

    /**
     * A reward model trained through LoRA adapters on its frozen decoder, the score head trained whole (PEFT's
     * {@code modules_to_save}), saved as a SEQ_CLS adapter folder for {@code base}.
     */
    private static Trainee loraTrainee(RewardModel rm, Path base, LoraConfig lora, long seed) {
        LoraAdapters adapters = LoraTraining.attach(rm.decoder(), lora, seed);
        Map<String, NDArray> trained = new LinkedHashMap<>(adapters.parameters());
        trained.put(RewardModel.PEFT_SCORE, rm.scoreHead());
        return new Trainee() {
            @Override
            public dev.herd.llama.LlamaConfig config() {
                return rm.config();
            }

            @Override
            public long trainableParameters() {
                return adapters.parameterCount() + rm.scoreHead().size();
            }

            @Override
            public Map<String, NDArray> parameters() {
                return trained;
            }

            @Override
            public NDManager newStepManager() {
                return rm.newStepManager();
            }

            @Override
            public void requireGradients(boolean on) {
                trained.values().forEach(p -> p.setRequiresGradient(on));
            }

            @Override
            public void save(Path out, ModelFolder.FolderWriter extra) {
                AdapterFolder.save(out, adapters, base, AdapterFolder.SEQ_CLS,
                        Map.of(RewardModel.PEFT_SCORE, rm.scoreHead()), base, extra);
            }
        };
    }

    /**
     * Scores every sample of {@code store} (matching the SQL condition {@code where}; null: all) that the reward
     * model in {@code rmDir} has not scored yet, and stores the rewards under the scorer {@code rm:ABSOLUTE_PATH}.
     */
    public static StoreScores scoreStore(Store store, Path rmDir, String where, String device, int batchSize) {
        try (RewardScoring scoring = new RewardScoring(rmDir, device, batchSize)) {     // a bad folder fails first
            return scoreStore(store, scoring, "rm:" + rmDir.toAbsolutePath().normalize(), where);
        }
    }

    private static StoreScores scoreStore(Store store, RewardScoring scoring, String scorer, String where) {
        Tables t = new Tables(store);
        Set<Long> done = new HashSet<>();
        t.scores("scorer = '" + scorer.replace("'", "''") + "'").forEach(s -> done.add(s.sampleId()));
        Map<Long, List<ChatMessage>> prompts = new HashMap<>();
        t.prompts(null).forEach(p -> prompts.put(p.id(), p.asMessages()));
        List<SampleRow> todo = t.samples(where).stream().filter(s -> !done.contains(s.id())).toList();
        List<List<ChatMessage>> conversations = new ArrayList<>();
        List<String> responses = new ArrayList<>();
        for (SampleRow s : todo) {
            List<ChatMessage> conv = new ArrayList<>();
            if (s.systemPrompt() != null) {
                conv.add(ChatMessage.system(s.systemPrompt()));
            }
            List<ChatMessage> p = prompts.get(s.promptId());
            if (p == null) {
                throw new HerdInputException(store.file() + ": sample " + s.id() + " points at missing prompt " + s.promptId());
            }
            conv.addAll(p);
            conversations.add(conv);
            responses.add(s.response());
        }
        double[] rewards = scoring.score(conversations, responses);
        List<Score> scores = new ArrayList<>();
        for (int i = 0; i < rewards.length; i++) {
            scores.add(new Score(todo.get(i).id(), scorer, rewards[i], null));
        }
        t.addScores(scores);
        return new StoreScores(scorer, rewards.length, done.size());
    }
}
