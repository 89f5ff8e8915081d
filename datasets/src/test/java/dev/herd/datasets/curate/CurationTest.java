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
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.herd.common.HerdInputException.class,
                    () -> Curator.parse(config)).getMessage().contains("unknown step 'dedupe'"));
        }
    }

    @Test
    void aMalformedWhereIsBadInputNamingTheStepNotACrash() throws Exception {
        try (Store store = Store.open(tmp.resolve("w.duckdb"))) {
            new Tables(store).addSft(List.of(ex("a", "x", null, null), ex("b", "x", null, null)), null);
            Path config = tmp.resolve("w.json");
            Files.writeString(config, "{\"where\": \"round = = 1\", \"steps\": [{\"step\": \"dedup\"}]}");
            List<CurationStep> steps = Curator.parse(config);
            String msg = org.junit.jupiter.api.Assertions.assertThrows(dev.herd.common.HerdInputException.class,
                    () -> Curator.run(store, steps)).getMessage();
            assertTrue(msg.startsWith("curate step 'dedup': SQL error") && !msg.contains("\n"), msg);
            assertEquals(0, store.count("SELECT count(*) FROM sft WHERE removed_by IS NOT NULL"));
        }
    }

    @Test
    void scopedStepsLeaveOtherRowsAlone() throws Exception {
        try (Store store = Store.open(tmp.resolve("s.duckdb"))) {
            List<SftExample> rows = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                rows.add(new SftExample(0, List.of(ChatMessage.user("p" + i), ChatMessage.assistant("seed answer " + i)), "human",
                        0, null, "math", null, null, null, null));
                rows.add(new SftExample(0, List.of(ChatMessage.user("p" + i), ChatMessage.assistant("round answer " + i)),
                        "rejection_sampling", 3, null, i % 2 == 0 ? "math" : "code", null, null, null, null));
            }
            rows.add(new SftExample(0, List.of(ChatMessage.user("x"), ChatMessage.assistant("seed answer 0")), "rejection_sampling",
                    3, null, "math", null, null, null, null));   // duplicates a seed row, but across the scope
            new Tables(store).addSft(rows, null);
            Path config = tmp.resolve("c.json");
            Files.writeString(config, """
                    {"where": "round = 3", "steps": [
                      {"step": "dedup", "near": false},
                      {"step": "mix", "by": "topic", "weights": {"code": 1}, "total": 3, "where": "topic = 'code'"}
                    ]}""");
            List<Curator.Outcome> out = Curator.run(store, Curator.parse(config));
            assertEquals(0L, out.get(0).counts().get("exact"), "the seed row is outside the scope");
            assertEquals(2L, out.get(1).counts().get("removed"));
            assertEquals(10, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND round = 0"));
            assertEquals(6, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND round = 3 AND topic = 'math'"));
            assertEquals(3, store.count("SELECT count(*) FROM sft WHERE removed_by IS NULL AND round = 3 AND topic = 'code'"));
        }
    }

    @Test
    void previewReportsWithoutChanging() {
        try (Store store = Store.open(tmp.resolve("pv.duckdb"))) {
            new Tables(store).addSft(List.of(ex("a", "same", null, null), ex("b", "same", null, null), ex("c", "I'm sorry, I apologize.", null, null)), null);
            List<CurationStep> steps = List.of(new Dedup("response", true, 0.8, 3, 128, 0), CleaningRules.defaults());
            List<Curator.Outcome> preview = Curator.preview(store, steps);
            assertEquals(0, store.count("SELECT count(*) FROM sft WHERE removed_by IS NOT NULL"));
            assertEquals(preview, Curator.run(store, steps));
            assertEquals(2, store.count("SELECT count(*) FROM sft WHERE removed_by IS NOT NULL"));
        }
    }

    @Test
    void configMistakesAreNamed() throws Exception {
        Path config = tmp.resolve("bad.json");
        String[][] cases = {
            {"{\"steps\": [{\"step\": \"dedup\", \"treshold\": 0.9}]}", "steps[0]: unknown key 'treshold' for step dedup (valid: table, field"},
            {"{\"steps\": [{\"step\": \"dedup\", \"threshold\": \"high\"}]}", "steps[0]: 'threshold' must be a number, got \"high\""},
            {"{\"steps\": [{\"step\": \"dedup\", \"threshold\": 1.5}]}", "steps[0]: dedup \"threshold\" must be in (0, 1]"},
            {"{\"steps\": [{\"step\": \"rules\"}, {\"step\": \"preferences\", \"keep\": [\"signficantly better\"]}]}",
                "steps[1]: preferences \"keep\": 'signficantly better' is not one of"},
            {"{\"steps\": [{\"step\": \"mix\", \"by\": \"colour\", \"weights\": {\"a\": 1}, \"total\": 5}]}", "mix \"by\" must be topic"},
            {"{\"steps\": [{\"step\": \"quality\", \"group\": \"everything\"}]}", "quality \"group\" must be prompt or topic"},
            {"{\"step\": [{\"step\": \"rules\"}]}", "expected {\"steps\": [...]}"},
            {"{\"steps\": [], \"wher\": \"round = 1\"}", "unknown key 'wher' (valid: steps, where)"},
            {"{\"steps\": [{\"step\": \"dedup\", \"table\": \"samples\"}]}", "dedup \"table\" must be sft or prompts"},
        };
        for (String[] c : cases) {
            Files.writeString(config, c[0]);
            dev.herd.common.HerdInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.herd.common.HerdInputException.class, () -> Curator.parse(config));
            assertTrue(e.getMessage().startsWith(config.toString()) && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void qualityByTopicWithAJudgeThatRescues() {
        try (Store store = Store.open(tmp.resolve("j.duckdb"))) {
            Tables t = new Tables(store);
            long prompt = t.addPrompts(List.of(dev.herd.datasets.PromptRow.text("q", null))).get(0);
            List<Long> samples = t.addSamples(List.of(
                    new dev.herd.datasets.SampleRow(0, prompt, "low but judged good", "m", 1, null, null, null),
                    new dev.herd.datasets.SampleRow(0, prompt, "low and judged bad", "m", 1, null, null, null)));
            t.addScores(List.of(new dev.herd.datasets.Score(samples.get(0), "judge", 5, null),
                    new dev.herd.datasets.Score(samples.get(1), "judge", 2, null)));
            List<SftExample> rows = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                rows.add(ex("math q" + i, "math " + i, (double) i, "math"));    // q75 of 0..3 = 2.25: keep 3
            }
            rows.add(new SftExample(0, List.of(ChatMessage.user("x"), ChatMessage.assistant("low but judged good")),
                    "rejection_sampling", 1, null, "math", null, null, 0.1, samples.get(0)));
            rows.add(new SftExample(0, List.of(ChatMessage.user("y"), ChatMessage.assistant("low and judged bad")),
                    "rejection_sampling", 1, null, "math", null, null, 0.1, samples.get(1)));
            t.addSft(rows, null);
            // The cut is over all six math scores {0, 1, 2, 3, 0.1, 0.1}: numpy.quantile(..., 0.75) = 1.75.
            Map<String, Long> counts = Curator.run(store, List.of(new QualityFilter("topic", 0.75, "judge", 4))).get(0).counts();
            assertEquals(1L, counts.get("kept-by-judge"));
            assertEquals(List.of("math 2", "math 3", "low but judged good"),
                    t.sft(null).stream().map(SftExample::response).toList());
        }
    }

    @Test
    void quantileAgreesWithDuckDb() throws Exception {
        java.util.Random r = new java.util.Random(5);
        try (Store store = Store.open(tmp.resolve("qq.duckdb"))) {
            for (int trial = 0; trial < 20; trial++) {
                List<Double> v = new ArrayList<>();
                int n = 1 + r.nextInt(30);
                for (int i = 0; i < n; i++) {
                    v.add(Math.round(r.nextGaussian() * 1000) / 100.0);
                }
                double q = r.nextDouble();
                String list = v.toString();
                try (var st = store.connection().createStatement();
                     var rs = st.executeQuery("SELECT quantile_cont(x, " + q + ") FROM unnest(" + list + "::DOUBLE[]) t(x)")) {
                    rs.next();
                    assertEquals(rs.getDouble(1), QualityFilter.quantile(v, q), 1e-9, list + " q=" + q);
                }
            }
        }
    }

    @Test
    void difficultyTagsComeFromTheGivenScorer() {
        try (Store store = Store.open(tmp.resolve("dt.duckdb"))) {
            new Tables(store).addSft(List.of(ex("a", "short", null, null), ex("b", LONG, null, null)), null);
            Curator.run(store, List.of(new DifficultyTagger(
                    "CASE WHEN length(json_extract_string(messages, '$[#-1].content')) > 50 THEN 'hard' ELSE 'easy' END")));
            assertEquals(List.of("easy", "hard"), new Tables(store).sft(null).stream().map(SftExample::difficulty).toList());
        }
    }

    @Test
    void realGsm8kPromptsImportedTwiceDedupToOneCopy() throws Exception {
        Path gsm = dev.herd.llama.TestPaths.shared().resolve("benchmarks/gsm8k/test.jsonl");
        try (Store store = Store.open(tmp.resolve("g.duckdb"))) {
            new dev.herd.datasets.Importer(store).importFiles(dev.herd.datasets.Kind.PROMPTS, List.of(gsm, gsm));
            Map<String, Long> counts = Curator.run(store, List.of(new Dedup("prompts", "response", false, 0.8, 3, 128, 0)))
                    .get(0).counts();
            // Reference: DuckDB's own count of distinct question texts.
            long distinct = store.count("SELECT count(DISTINCT prompt) FROM prompts");
            assertEquals(2638 - distinct, counts.get("exact"));
            assertEquals(distinct, store.count("SELECT count(*) FROM prompts WHERE removed_by IS NULL"));
            assertEquals(0, store.count("SELECT count(*) FROM prompts WHERE removed_by IS NULL AND import_id = 2"),
                    "the first import's copy is the one kept");
        }
    }

    @Test
    void realHhRlhfNearIdenticalPairsMatchExactJaccard() throws Exception {
        Path hh = dev.herd.llama.TestPaths.shared().resolve("benchmarks/hh-rlhf/harmless-base-test.jsonl.gz");
        try (Store store = Store.open(tmp.resolve("hh.duckdb"))) {
            new dev.herd.datasets.Importer(store, true).importFiles(dev.herd.datasets.Kind.PREFERENCE, List.of(hh));
            List<Preference> pairs = new Tables(store).preferences(null);
            Curator.run(store, List.of(new PreferenceFilter(List.of("better"), true, 0.9)));
            java.util.Set<Long> removed = new java.util.HashSet<>();
            for (List<Object> row : new Tables(store).rows("SELECT id FROM preferences WHERE removed_by = 'near-identical'")) {
                removed.add(((Number) row.get(0)).longValue());
            }
            // Reference: exact Jaccard of the two responses' shingle sets. MinHash with 128 entries has a standard
            // error of at most 0.044, so pairs far above the threshold must go and pairs far below must stay.
            MinHash mh = new MinHash(128, 3, 0);
            int clearlyIdentical = 0;
            for (Preference p : pairs) {
                double j = MinHash.jaccard(mh.shingles(p.chosen()), mh.shingles(p.rejected()));
                boolean equalText = TextNormalizer.normalize(p.chosen()).equals(TextNormalizer.normalize(p.rejected()));
                if (j >= 0.99 || equalText) {
                    clearlyIdentical++;
                    assertTrue(removed.contains(p.id()), "pair " + p.id() + " has Jaccard " + j);
                } else if (j < 0.7) {
                    assertTrue(!removed.contains(p.id()), "pair " + p.id() + " has Jaccard " + j);
                }
            }
            System.out.println("hh-rlhf: " + pairs.size() + " pairs, " + clearlyIdentical + " clearly identical, " + removed.size() + " removed");
            assertTrue(clearlyIdentical > 0 && removed.size() >= clearlyIdentical, clearlyIdentical + " vs " + removed.size());
        }
    }
}
