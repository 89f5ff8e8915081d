package dev.herd.datasets.curate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.datasets.Preference;
import dev.herd.datasets.SftExample;
import dev.herd.datasets.Store;
import dev.herd.datasets.Strength;
import dev.herd.datasets.Tables;
import dev.herd.llama.chat.ChatMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurationTest {

    @TempDir
    Path tmp;

    static SftExample ex(String prompt, String response, Double score, String topic) {
        return new SftExample(0, List.of(ChatMessage.user(prompt), ChatMessage.assistant(response)), "rejection_sampling",
                1, null, topic, null, null, score, null);
    }

    static final String LONG = "The mitochondria is the powerhouse of the cell and it produces most of the chemical "
            + "energy needed to power the biochemical reactions of the cell, stored in adenosine triphosphate.";

    @Test
    void dedupKeepsTheBestScoredMemberOfEachCluster() {
        try (Store store = Store.open(tmp.resolve("d.duckdb"))) {
            Tables t = new Tables(store);
            t.addSft(List.of(
                    ex("q1", LONG, 0.2, null),
                    ex("q2", LONG.toUpperCase() + "!!", 0.9, null),                       // exact after normalising
                    ex("q3", LONG.replace("chemical", "biochemical"), 0.5, null),         // near duplicate
                    ex("q4", "Paris is the capital of France.", null, null)), null);
            List<Curator.Outcome> out = Curator.run(store, List.of(new Dedup("response", true, 0.7, 3, 128, 0)));
            assertEquals(Map.of("exact", 1L, "near", 1L), out.get(0).counts());
            List<Long> kept = t.sft(null).stream().map(SftExample::id).toList();
            assertEquals(List.of(2L, 4L), kept);
            assertEquals(1, store.count("SELECT count(*) FROM sft WHERE removed_by = 'dedup-near'"));
        }
    }

    @Test
    void rulesReportTheirHits() {
        CleaningRules rules = CleaningRules.defaults();
        assertEquals(List.of("empty"), rules.check("   "));
        assertEquals(List.of("apologies"), rules.check("I'm sorry. I apologize for that. Here it is."));
        assertEquals(List.of("emojis"), rules.check("Great 🎉🎉🎉🎉 job."));
        assertEquals(List.of("exclamations"), rules.check("Wow! Yes! Sure! Now!"));
        assertEquals(List.of("truncated"), rules.check("Here is the code:\n```python\nprint(1)"));
        assertEquals(List.of("repetition"), rules.check("I like it. I like it. I like it. I like it."));
        assertEquals(List.of(), rules.check("The answer is 5."));
        try (Store store = Store.open(tmp.resolve("r.duckdb"))) {
            new Tables(store).addSft(List.of(ex("a", "Fine answer.", null, null), ex("b", "Wow! Yes! Sure! Now!", null, null),
                    ex("c", "I'm sorry, I apologize, my apologies!!!!", null, null)), null);
            Map<String, Long> counts = Curator.run(store, List.of(rules)).get(0).counts();
            assertEquals(2L, counts.get("exclamations"));
            assertEquals(1L, counts.get("apologies"));
            assertEquals(2L, counts.get("removed"));
        }
    }

    @Test
    void qualityKeepsTheTopQuartileOfEachPromptGroup() {
        try (Store store = Store.open(tmp.resolve("q.duckdb"))) {
            List<SftExample> rows = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                rows.add(ex("prompt A", "answer a" + i, (double) i, null));         // q75 of 0..7 = 5.25 → keep 6, 7
            }
            for (int i = 0; i < 4; i++) {
                rows.add(ex("prompt B", "answer b" + i, 10.0 + i, null));           // q75 of 10..13 = 12.25 → keep 13
            }
            rows.add(ex("prompt C", "human answer", null, null));                  // unscored: kept
            new Tables(store).addSft(rows, null);
            Curator.run(store, List.of(new QualityFilter("prompt", 0.75, null, 0)));
            List<String> kept = new Tables(store).sft(null).stream().map(SftExample::response).toList();
            assertEquals(List.of("answer a6", "answer a7", "answer b3", "human answer"), kept);
        }
    }

    @Test
    void mixFollowsWeightsAndSeed() {
        try (Store store = Store.open(tmp.resolve("m.duckdb"))) {
            List<SftExample> rows = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                rows.add(ex("p" + i, "math " + i, null, "math"));
                rows.add(ex("q" + i, "code " + i, null, "code"));
                rows.add(ex("r" + i, "chat " + i, null, "chat"));
            }
            new Tables(store).addSft(rows, null);
            Curator.run(store, List.of(new MixBalancer("topic", Map.of("math", 3.0, "code", 1.0), 40, 7)));
            assertEquals(30, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND topic = 'math'"));
            assertEquals(10, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND topic = 'code'"));
            assertEquals(0, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND topic = 'chat'"));
            String picked = String.valueOf(new Tables(store).sft("topic = 'code'").stream().map(SftExample::response).toList());
            try (Store other = Store.open(tmp.resolve("m2.duckdb"))) {
                new Tables(other).addSft(rows, null);
                Curator.run(other, List.of(new MixBalancer("topic", Map.of("math", 3.0, "code", 1.0), 40, 7)));
                assertEquals(picked, String.valueOf(new Tables(other).sft("topic = 'code'").stream().map(SftExample::response).toList()));
            }
        }
    }

    @Test
    void preferenceFilterKeepsStrongPairsWithDistinctResponses() throws Exception {
        try (Store store = Store.open(tmp.resolve("p.duckdb"))) {
            List<ChatMessage> p = List.of(ChatMessage.user("q"));
            new Tables(store).addPreferences(List.of(
                    new Preference(0, p, "A good answer here.", "A bad one.", null, Strength.SIGNIFICANTLY_BETTER, null, 1, null),
                    new Preference(0, p, "Fine.", "Worse.", null, Strength.SLIGHTLY_BETTER, null, 1, null),
                    new Preference(0, p, "Same text!", "same text", null, Strength.BETTER, null, 1, null),
                    new Preference(0, p, "Ungraded.", "Other.", null, null, null, 1, null)), null);
            Path config = tmp.resolve("c.json");
            Files.writeString(config, "{\"steps\": [{\"step\": \"preferences\"}]}");
            Map<String, Long> counts = Curator.run(store, Curator.parse(config)).get(0).counts();
            assertEquals(Map.of("weak-strength", 1L, "near-identical", 1L, "removed", 2L), counts);
            assertEquals(2, new Tables(store).preferences(null).size());
        }
    }

    @Test
    void aFailingStepLeavesTheStoreAsItWas() throws Exception {
        try (Store store = Store.open(tmp.resolve("f.duckdb"))) {
            new Tables(store).addSft(List.of(ex("a", "x", null, null), ex("b", "x", null, null)), null);
            Path config = tmp.resolve("c.json");
            Files.writeString(config, "{\"steps\": [{\"step\": \"dedup\"}, {\"step\": \"difficulty\", \"sql\": \"no_such_column\"}]}");
            List<CurationStep> steps = Curator.parse(config);
            org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> Curator.run(store, steps));
            assertEquals(0, store.count("SELECT count(*) FROM sft WHERE removed_by IS NOT NULL"));
            Files.writeString(config, "{\"steps\": [{\"step\": \"dedupe\"}]}");
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.herd.llama.HerdInputException.class,
                    () -> Curator.parse(config)).getMessage().contains("unknown step 'dedupe'"));
        }
    }
}
