package dev.herd.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.Preference;
import dev.herd.datasets.Strength;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO's typed API: {@link DpoConfig} from recipe JSON, {@link DpoStage#run} from Java. */
class DpoStageTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRecipeObjectGivesTheDefaultsItLeavesAndTheOverridesItSets() throws Exception {
        DpoConfig d = DpoConfig.defaults();
        assertEquals(0.1, d.beta());
        assertEquals(0.2, d.nllAlpha());
        assertEquals(PairKind.all(), d.pairs());
        assertEquals(EnumSet.of(Strength.SIGNIFICANTLY_BETTER, Strength.BETTER), d.strengths());
        DpoConfig c = DpoConfig.from(JSON.readTree("{\"beta\": 0.5, \"strengths\": \"all\", \"pairs\": [\"edited_rejected\", "
                + "\"chosen>rejected\"], \"max_steps\": 4}"), "recipe.json: stages.dpo");
        assertEquals(0.5, c.beta());
        assertEquals(EnumSet.allOf(Strength.class), c.strengths());
        assertEquals(EnumSet.of(PairKind.EDITED_REJECTED, PairKind.CHOSEN_REJECTED), c.pairs());
        assertEquals(4, c.training().maxSteps());
        assertEquals(0.2, c.nllAlpha(), "a default");
        assertEquals(0.3, DpoConfig.from(JSON.readTree("{\"alpha\": 0.3}"), "dpo.json").nllAlpha(), "the older key");
        assertEquals(c, DpoConfig.from(c.toJson(), "ledger"));
    }

    @Test
    void anUnknownKeyOrABadValueIsOneLineNamingTheSource() throws Exception {
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> DpoConfig.from(JSON.readTree("{\"betta\": 0.2}"), "recipe.json: stages.dpo"));
        assertTrue(e.getMessage().startsWith("recipe.json: stages.dpo: unknown setting 'betta'; known: "), e.getMessage());
        e = assertThrows(HerdInputException.class, () -> DpoConfig.from(JSON.readTree("{\"beta\": 0}"), "r.json"));
        assertEquals("r.json: beta must be positive, got 0.0", e.getMessage());
        e = assertThrows(HerdInputException.class, () -> DpoConfig.from(JSON.readTree("{\"pairs\": [\"best>worst\"]}"), "r.json"));
        assertTrue(e.getMessage().startsWith("r.json: pair kind 'best>worst' is not one of"), e.getMessage());
    }

    @Test
    void theStageRunsFromJavaAndReportsTheLastLoggedMetricsAlsoWhenResumed(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = DpoTest.tiny(6)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        List<Preference> rankings = new ArrayList<>();
        for (String topic : List.of("cats", "tea", "maps", "jazz")) {
            rankings.add(new Preference(0, List.of(ChatMessage.user("Tell me about " + topic + ".")), "Gladly.", "No.", null,
                    null, null, null, topic.equals("jazz") ? "test" : null));
        }
        DpoConfig config = DpoConfig.from(JSON.readTree("{\"lr\": 0.003, \"max-steps\": 2, \"batch-size\": 3, \"max-seq-len\": 128}"),
                "test");
        Path out = tmp.resolve("out");
        DpoResult r = DpoStage.run(base, base, rankings, out, config);
        assertFalse(r.finishedBefore());
        assertEquals(2.0, r.metrics().get("step"));
        assertTrue(r.metrics().containsKey("reward_accuracy") && r.metrics().containsKey("eval_reward_accuracy"),
                r.metrics().toString());
        assertTrue(Files.exists(out.resolve("train_metrics.jsonl")));
        DpoResult again = DpoStage.run(base, base, rankings, out, config);
        assertTrue(again.finishedBefore());
        assertEquals(r.metrics(), again.metrics());
    }
}
