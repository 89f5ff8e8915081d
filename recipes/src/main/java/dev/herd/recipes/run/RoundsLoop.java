package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.RoundRow;
import dev.herd.datasets.Tables;
import dev.herd.dpo.DpoStage;
import dev.herd.evals.SplitTask;
import dev.herd.rm.RmStage;
import dev.herd.sampling.SampleModel;
import dev.herd.sft.SftStage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Llama 3's rounds: reward model from the base, rejection sampling from the policy, curation, SFT from the base
 * on the seed data and every round's sampled data, DPO from the SFT model, averaging of runs; the candidate best
 * on the dev split becomes the next round's policy.
 */
final class RoundsLoop {

    private final Recipe recipe;
    private final Stages stages;
    private final String device;
    private final Path work;
    private final PrintStream out;

    RoundsLoop(Recipe recipe, Stages stages, String device, PrintStream out) {
        this.recipe = recipe;
        this.stages = stages;
        this.device = device;
        this.work = recipe.work();
        this.out = out;
    }

    /** Runs round 0 (the start) and rounds 1..N from {@code base}; returns the final policy. */
    Path run(Path base) {
        int n = recipe.rounds();
        String policy;
        String startStage;
        Map<Integer, RoundRow> rounds = new LinkedHashMap<>();
        stages.ledger().with(s -> {
            new Tables(s).rounds().forEach(r -> rounds.put(r.round(), r));
            return null;
        });
        if (recipe.startsWithSft()) {
            startStage = "sft";
            TrainPlan<dev.herd.sft.SftConfig> plan = recipe.startSft(device);
            policy = sft(0, plan, base, orDefault(plan.data(), "coalesce(origin, '') <> 'rejection_sampling'"),
                    work.resolve("r0/sft"), "SFT of the base on the seed data").toString();
        } else {
            startStage = "start";
            policy = recipe.startModel() != null ? recipe.startModel().folder().toString() : base.toString();
        }
        stages.evaluate(0, startStage, policy, SplitTask.Split.TEST);
        if (!rounds.containsKey(0) || !"done".equals(rounds.get(0).status())) {
            String p = policy;
            stages.ledger().with(s -> {
                Tables t = new Tables(s);
                t.startRound(0, base.toString(), null);
                t.finishRound(0, p, null);
                return null;
            });
        }
        for (int r = 1; r <= n; r++) {
            RoundRow row = rounds.get(r);
            if (row != null && "done".equals(row.status())) {
                out.printf("[round %d/%d] done before: best %s%n", r, n, row.best());
                policy = row.best();
                continue;
            }
            String p = policy;
            int round = r;
            stages.ledger().with(s -> {
                new Tables(s).startRound(round, p, null);
                return null;
            });
            policy = round(r, n, base, policy);
        }
        return Path.of(policy);
    }

    private String round(int r, int n, Path base, String policy) {
        Path dir = work.resolve("r" + r);
        String tag = String.format("[round %d/%d]", r, n);
        Path rm = null;
        TrainPlan<dev.herd.rm.RmConfig> rmPlan = recipe.rm(r, device);
        if (rmPlan != null) {
            String where = orDefault(rmPlan.data(), "true");
            rm = stages.train("rm", r, rmPlan, (o, c) -> {
                var result = RmStage.train(base, stages.ledger().with(s -> new Tables(s).preferences(where)), o, c);
                return new Trained(result.model(), result.metrics());
            }, inputs(base, null, where), dir.resolve("rm"), tag + " reward model from the base on every ranking so far");
        }
        SamplePlan sample = recipe.sample(r, device);
        if (sample != null) {
            stages.sample(r, "train", sample, SampleModel.local(Path.of(policy)), rm, true, tag + " rejection sampling from " + policy);
        }
        CuratePlan curate = recipe.curate(r);
        if (curate != null) {
            stages.curate(r, curate, tag);
        }
        TrainPlan<dev.herd.sft.SftConfig> sftPlan = recipe.sft(r, device);
        String sftData = orDefault(sftPlan.data(), "coalesce(origin, '') <> 'rejection_sampling' OR round <= " + r);
        Path sftOut = sft(r, sftPlan, base, sftData, dir.resolve("sft"),
                tag + " SFT from the base on the seed data + rejection-sampled data of rounds 1.." + r);
        Map<String, Path> candidates = new LinkedHashMap<>();
        candidates.put("sft", sftOut);
        TrainPlan<dev.herd.dpo.DpoConfig> dpoPlan = recipe.dpo(r, device);
        if (dpoPlan != null) {
            candidates.put("dpo", dpo(r, dpoPlan, sftOut, orDefault(dpoPlan.data(), "round = " + r + " OR round IS NULL"),
                    dir.resolve("dpo"), tag + " DPO from the SFT model (reference: the SFT model) on this round's and human rankings"));
        }
        Stages.Best best = stages.evaluateCandidates(r, candidates);
        stages.finishRound(r, best, stages.rsRows(r, sftData));
        out.printf("%s best on dev: %s (%.4f) becomes the policy%n", tag, best.model(), best.score());
        return best.model();
    }

    /** SFT from {@code base} on the store's active SFT rows matching {@code where}. */
    Path sft(int round, TrainPlan<dev.herd.sft.SftConfig> plan, Path base, String where, Path out, String what) {
        return stages.train("sft", round, plan, (o, c) -> {
            var result = SftStage.run(base, stages.ledger().with(s -> new Tables(s).sft(where)), o, c);
            return new Trained(result.model(), result.metrics());
        }, inputs(base, null, where), out, what);
    }

    /** DPO of {@code policy} against itself as the reference, on the store's rankings matching {@code where}. */
    Path dpo(int round, TrainPlan<dev.herd.dpo.DpoConfig> plan, Path policy, String where, Path out, String what) {
        return stages.train("dpo", round, plan, (o, c) -> {
            var result = DpoStage.run(policy, policy, stages.ledger().with(s -> new Tables(s).preferences(where)), o, c);
            return new Trained(result.model(), result.metrics());
        }, inputs(policy, policy, where), out, what);
    }

    static ObjectNode inputs(Path start, Path ref, String data) {
        ObjectNode o = Ledger.JSON.createObjectNode();
        o.put("start", start.toString());
        if (ref != null) {
            o.put("ref", ref.toString());
        }
        o.put("data", data);
        return o;
    }

    static String orDefault(String data, String dflt) {
        return data != null ? data : dflt;
    }
}
