package dev.herd.recipes.run;

import dev.herd.datasets.Preference;
import dev.herd.datasets.ScoredSample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.evals.SplitTask;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.sampling.SampleModel;
import dev.herd.sampling.SampleStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Distillation, as Llama 3's smaller models learnt from the 405B: the teacher's best samples (a folder, or a
 * model served behind an OpenAI-compatible API) become the student's SFT data; optionally DPO on the teacher's
 * best over the student's worst answers.
 */
final class Distillation {

    private final Recipe recipe;
    private final Stages stages;
    private final RoundsLoop training;
    private final String device;

    Distillation(Recipe recipe, Stages stages, RoundsLoop training, String device) {
        this.recipe = recipe;
        this.stages = stages;
        this.training = training;
        this.device = device;
    }

    void run(Path start) {
        ModelSpec teacher = recipe.teacher();
        boolean remote = teacher.served();
        SampleModel teacherModel = remote ? SampleModel.served(teacher.url(), teacher.servedName()) : SampleModel.local(teacher.folder());
        String teacherRef = remote ? teacher.url() + (teacher.servedName() == null ? "" : "#" + teacher.servedName())
                : teacher.folder().toString();
        stages.evaluate(0, "start", start.toString(), SplitTask.Split.TEST);
        stages.evaluate(0, "teacher", teacherRef, SplitTask.Split.TEST);
        int r = 1;
        String tag = "[distill]";
        Path dir = recipe.work().resolve("r1");
        stages.ledger().with(s -> {
            Tables t = new Tables(s);
            if (t.rounds().stream().noneMatch(x -> x.round() == 0)) {
                t.startRound(0, start.toString(), null);
                t.finishRound(0, start.toString(), null);
            }
            return null;
        });
        boolean roundDone = stages.ledger().with(s -> new Tables(s).rounds().stream().anyMatch(x -> x.round() == 1 && "done".equals(x.status())));
        if (!roundDone) {
            stages.ledger().with(s -> {
                new Tables(s).startRound(1, remote ? teacher.url() : teacher.folder().toString(), null);
                return null;
            });
        }
        SamplePlan sample = recipe.sample(r, device);
        String scorer = stages.sample(r, "teacher", sample, teacherModel, null, true,
                tag + " " + sample.config().n() + " samples per prompt from the teacher " + teacherModel);
        CuratePlan curate = recipe.curate(r);
        if (curate != null) {
            stages.curate(r, curate, tag);
        }
        TrainPlan<dev.herd.sft.SftConfig> sftPlan = recipe.sft(r, device);
        String sftData = RoundsLoop.orDefault(sftPlan.data(), "origin = 'rejection_sampling' AND round = " + r);
        Path sftOut = training.sft(r, sftPlan, start, sftData, dir.resolve("sft"), tag + " SFT of the student on the teacher's best samples");
        Map<String, Path> candidates = new LinkedHashMap<>();
        candidates.put("sft", sftOut);
        TrainPlan<dev.herd.dpo.DpoConfig> dpoPlan = recipe.dpo(r, device);
        if (dpoPlan != null) {
            // A distillation's student is sampled only for its worst answers: they are not training data.
            String studentScorer = stages.sample(r, "student", sample, SampleModel.local(sftOut), null, false,
                    tag + " samples from the SFT-ed student, for its worst answers");
            stages.steps().storing(r, "pairs", "teacher-vs-student", null,
                    () -> st -> pairs(st, r, scorer, studentScorer, teacherModel, SampleModel.local(sftOut)),
                    tag + " preference pairs: the teacher's best over the student's worst");
            candidates.put("dpo", training.dpo(r, dpoPlan, sftOut, RoundsLoop.orDefault(dpoPlan.data(), "source = 'distill' AND round = " + r),
                    dir.resolve("dpo"), tag + " DPO of the student on teacher-best vs student-worst pairs"));
        }
        Stages.Best best = stages.evaluateCandidates(r, candidates);
        if (!roundDone) {
            stages.finishRound(r, best, stages.rsRows(r, sftData));
        }
    }

    /** Preference rows (teacher best, student worst) where the teacher's best scored higher, stored with the step's end. */
    private static Steps.Outcome pairs(Store s, int r, String teacherScorer, String studentScorer, SampleModel teacher,
                                       SampleModel student) {
        Tables t = new Tables(s);
        Map<Long, ScoredSample> best = new LinkedHashMap<>();
        for (ScoredSample x : SampleStage.bestOf(s, r, teacher.stored(), teacherScorer)) {
            best.put(x.sample().promptId(), x);
        }
        Map<Long, Double> worstScore = new LinkedHashMap<>();
        Map<Long, String> worst = new LinkedHashMap<>();
        for (List<Object> row : t.rows("SELECT s.prompt_id, s.response, v.value FROM samples s JOIN scores v ON v.sample_id = s.id "
                + "WHERE v.scorer = ? AND s.round = ? AND s.model = ? ORDER BY s.prompt_id, v.value, s.id", studentScorer, r,
                student.stored())) {
            long pid = ((Number) row.get(0)).longValue();
            if (!worst.containsKey(pid)) {
                worst.put(pid, (String) row.get(1));
                worstScore.put(pid, ((Number) row.get(2)).doubleValue());
            }
        }
        Map<Long, List<ChatMessage>> prompts = new LinkedHashMap<>();
        t.prompts("id IN (SELECT prompt_id FROM samples WHERE round = " + r + ")").forEach(p -> prompts.put(p.id(), p.asMessages()));
        List<Preference> rows = new ArrayList<>();
        best.forEach((pid, b) -> {
            if (worst.containsKey(pid) && b.score() > worstScore.get(pid) && prompts.containsKey(pid)) {
                rows.add(new Preference(0, prompts.get(pid), b.sample().response(), worst.get(pid), null, null, "distill", r, null));
            }
        });
        t.addPreferences(rows, null);
        return new Steps.Outcome("preferences", Ledger.JSON.createObjectNode().put("pairs", rows.size()));
    }
}
