package dev.herd.sampling;

import dev.herd.sampling.cli.SampleCommand;
import dev.herd.sampling.rejection.PromptFiles;
import dev.herd.sampling.scoring.Scorer;
import dev.herd.sampling.scoring.Scorers;
import dev.herd.sampling.scoring.Verifier;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.PromptRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {

    @TempDir
    static Path dir;
    static Path modelDir;

    @BeforeAll
    static void makeModel() {
        modelDir = dir.resolve("tiny");
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 7, 0.05, Device.cpu())) {
            ModelFolder.save(m, modelDir, TestPaths.tokenizer());
        }
    }

    static List<JsonNode> lines(Path f) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) {
            out.add(new ObjectMapper().readTree(l));
        }
        return out;
    }

    @Test
    void verifiersCheckTheAnswerField() {
        SamplingPrompt p = new SamplingPrompt("1", "q", null, "42", null, null);
        assertEquals(1.0, new Verifier(Verifier.Kind.NUMERIC).score(p, "So the total is 4 + 38 = 42."));
        assertEquals(1.0, new Verifier(Verifier.Kind.NUMERIC).score(p, "It comes to 42.0"));
        assertEquals(0.0, new Verifier(Verifier.Kind.NUMERIC).score(p, "42 is wrong, it is 41"));
        assertEquals(1.0, new Verifier(Verifier.Kind.EXACT).score(p, " 42\n"));
        assertEquals(0.0, new Verifier(Verifier.Kind.EXACT).score(p, "42."));
        SamplingPrompt r = new SamplingPrompt("2", "q", null, "^[A-D]$", null, null);
        assertEquals(1.0, new Verifier(Verifier.Kind.REGEX).score(r, "C"));
        Scorer mix = Scorers.verifiers().parse("verify:exact=0.25,verify:numeric=0.75");
        assertEquals(0.75, mix.score(p, "the answer: 42."), 1e-12);
    }

    @Test
    void verifyAutoChecksEachPromptWithItsOwnVerifier() {
        List<SamplingPrompt> prompts = List.of(
                new SamplingPrompt("n", "q", null, "12", null, null, "numeric"),
                new SamplingPrompt("e", "q", null, "green", null, null, "exact"),
                new SamplingPrompt("d", "q", null, "green", null, null, null),
                new SamplingPrompt("r", "q", null, "^[A-D]$", null, null, "regex"),
                new SamplingPrompt("n2", "q", null, "1,200", null, null, "Numeric"),
                new SamplingPrompt("e2", "q", null, "12", null, null, "exact"));
        List<String> responses = List.of("The answer is 12.", "GREEN", " green\n", "B", "So 1200.0 in all", "The answer is 12.");
        Scorer auto = Scorers.verifiers().parse("verify:auto");
        assertEquals("verify:auto", auto.name());
        // numeric: last number 12; exact: case matters; no verifier: exact; regex; numeric ignores commas and
        // ".0" (and the field's case); the same response as the first, checked exactly, fails.
        assertArrayEquals(new double[] {1, 0, 1, 1, 1, 0}, auto.score(prompts, responses));

        SamplingPrompt odd = new SamplingPrompt("q7", "q", null, "12", null, null, "contains");
        HerdInputException e = assertThrows(HerdInputException.class, () -> auto.score(odd, "12"));
        assertTrue(e.getMessage().contains("q7") && e.getMessage().contains("'contains'")
                && e.getMessage().contains("exact, numeric or regex"), e.getMessage());
    }

    @Test
    void promptFilesCarryTheVerifier() throws Exception {
        Path prompts = dir.resolve("verified.jsonl");
        Files.writeString(prompts, """
                {"id": "a", "prompt": "3 x 4 =", "answer": 12, "verifier": "numeric"}
                {"id": "b", "prompt": "Say hi.", "answer": "hi"}
                """);
        List<SamplingPrompt> read = PromptFiles.read(prompts);
        assertEquals("numeric", read.get(0).verifier());
        assertEquals("12", read.get(0).answer());
        assertNull(read.get(1).verifier());
    }

    @Test
    void sampleWritesEverySampleWithScoresAndResumesAfterACrash() throws Exception {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"id": "a", "prompt": "The capital of France is", "answer": "Paris"}
                {"id": "b", "messages": [{"role": "user", "content": "What is 2 + 2?"}], "answer": "4"}
                {"id": "c", "messages": [{"role": "user", "content": "Name a colour."}], "answer": "blue"}
                """);
        Path out = dir.resolve("samples.jsonl");
        String[] args = {"--model", modelDir.toString(), "--prompts", prompts.toString(), "--n", "4", "--reward",
            "verify:exact", "--temperature", "1.0", "--max-new-tokens", "6", "--max-batch", "5", "--seed", "3",
            "--out", out.toString()};
        CliRun run = CliRun.of(new SampleCommand(), args);
        assertEquals(0, run.code(), run.err() + run.notes());
        List<JsonNode> first = lines(out);
        assertEquals(12, first.size());
        for (JsonNode l : first) {
            assertTrue(l.has("prompt_id") && l.has("sample_index") && l.has("response") && l.get("score").isNumber());
        }
        // Exactly one best per prompt.
        assertEquals(3, first.stream().filter(l -> l.get("best").asBoolean()).count());
        // Four different draws of one prompt (a random tiny model babbles).
        assertTrue(first.stream().filter(l -> l.get("prompt_id").asText().equals("b")).map(l -> l.get("response").asText())
                .distinct().count() > 1);

        // A crash mid-write: prompt c's lines cut short. The re-run keeps a and b, redoes c identically.
        List<String> raw = Files.readAllLines(out);
        Files.writeString(out, String.join("\n", raw.subList(0, 10)) + "\n{\"prompt_id\": \"c\", \"sampl");
        CliRun again = CliRun.of(new SampleCommand(), args);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.notes().contains("2 of 3 prompts already sampled"), again.notes());
        List<String> resumed = Files.readAllLines(out);
        assertEquals(raw, resumed);
        assertTrue(CliRun.of(new SampleCommand(), args).out().contains("nothing to do"));
    }

    @Test
    void sampleStoresSamplesScoresBestAsSftAndPairsInTheStore() throws Exception {
        Path db = dir.resolve("project.duckdb");
        try (Store store = Store.open(db)) {
            new Tables(store).addPrompts(List.of(PromptRow.text("Once upon a time", "test"), PromptRow.text("Hello", "test")));
        }
        // A scorer that prefers longer responses, so best and worst differ.
        Scorers scorers = Scorers.verifiers().with("test:length", (arg, device) -> new Scorer() {
            public String name() {
                return "test:length";
            }

            public double[] score(List<SamplingPrompt> p, List<String> responses) {
                return responses.stream().mapToDouble(String::length).toArray();
            }
        });
        String[] args = {"--model", modelDir.toString(), "--prompts", "db:true", "--n", "3", "--reward", "test:length",
            "--max-new-tokens", "5", "--db", db.toString(), "--pairs", "--round", "1"};
        assertEquals(0, CliRun.of(new SampleCommand(scorers), args).code());
        try (Store store = Store.open(db)) {
            Tables t = new Tables(store);
            assertEquals(6, t.samples(null).size());
            assertEquals(6, t.scores(null).size());
            assertEquals(2, t.sft("origin = 'rejection_sampling'").size());
            for (var e : t.sft(null)) {
                double longest = t.samples("prompt_id = (SELECT prompt_id FROM samples WHERE id = " + e.sampleId() + ")")
                        .stream().mapToInt(s -> s.response().length()).max().orElse(-1);
                assertEquals(longest, e.response().length(), "the kept sample is the best-scored one");
            }
            assertFalse(t.preferences(null).isEmpty());
        }
        assertTrue(CliRun.of(new SampleCommand(scorers), args).out().contains("nothing to do"));

        // A later round sampling from the same policy folder is not done because round 1 was.
        args[args.length - 1] = "2";
        CliRun round2 = CliRun.of(new SampleCommand(scorers), args);
        assertEquals(0, round2.code(), round2.err());
        assertFalse(round2.out().contains("nothing to do"), round2.out());
        try (Store store = Store.open(db)) {
            Tables t = new Tables(store);
            assertEquals(6, t.samples("round = 1").size());
            assertEquals(6, t.samples("round = 2").size());
            assertEquals(2, t.sft("round = 2").size());
        }
        assertTrue(CliRun.of(new SampleCommand(scorers), args).out().contains("nothing to do"));

        // --no-keep: a student's samples, scored, but neither SFT data nor pairs.
        args[args.length - 1] = "3";
        String[] noKeep = java.util.Arrays.copyOf(args, args.length + 1);
        noKeep[args.length] = "--no-keep";
        assertEquals(0, CliRun.of(new SampleCommand(scorers), noKeep).code());
        try (Store store = Store.open(db)) {
            Tables t = new Tables(store);
            assertEquals(6, t.samples("round = 3").size());
            assertEquals(6, t.scores("sample_id IN (SELECT id FROM samples WHERE round = 3)").size());
            assertEquals(0, t.sft("round = 3").size());
            assertEquals(0, t.preferences("round = 3").size());
        }
    }

    @Test
    void storedPromptsAreVerifiedWithTheirOwnAnswerAndVerifier() throws Exception {
        Path db = dir.resolve("verified.duckdb");
        try (Store store = Store.open(db)) {
            new Tables(store).addPrompts(List.of(
                    new PromptRow(0, "3 x 4 =", null, "test", null, null, null, "12", "numeric"),
                    new PromptRow(0, "Say hi.", null, "test", null, null, null, "hi", null)));
        }
        CliRun run = CliRun.of(new SampleCommand(), "--model", modelDir.toString(), "--prompts", "db:true", "--n", "2",
                "--reward", "verify:auto", "--max-new-tokens", "3", "--db", db.toString());
        assertEquals(0, run.code(), run.err());
        try (Store store = Store.open(db)) {
            Tables t = new Tables(store);
            assertEquals(4, t.scores("scorer = 'verify:auto'").size());
            assertEquals(2, t.sft("origin = 'rejection_sampling'").size());
        }
    }

    @Test
    void badPromptsAreOneLineNamingTheFileAndLine() throws Exception {
        Path prompts = dir.resolve("bad.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"ok\"}\n{\"question\": \"no prompt here\"}\n");
        CliRun run = CliRun.of(new SampleCommand(), "--model", modelDir.toString(), "--prompts", prompts.toString(),
                "--out", dir.resolve("x.jsonl").toString());
        assertEquals(2, run.code());
        assertTrue(run.err().contains("bad.jsonl:2"), run.err());
        assertFalse(Files.exists(dir.resolve("x.jsonl")));
    }

    /** A small --out run: 3 prompts x 2 samples of up to 3 tokens; {@code extra} holds flag-value pairs. */
    static String[] smallRun(Path model, Path out, String... extra) throws Exception {
        Path prompts = dir.resolve("small-prompts.jsonl");
        Files.writeString(prompts, """
                {"id": "a", "prompt": "One"}
                {"id": "b", "prompt": "Two"}
                {"id": "c", "prompt": "Three"}
                """);
        List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--prompts", prompts.toString(), "--n", "2",
                "--temperature", "1.0", "--max-new-tokens", "3", "--seed", "3", "--out", out.toString()));
        for (int i = 0; i < extra.length; i += 2) {            // a flag given here replaces the default above
            int at = args.indexOf(extra[i]);
            if (at >= 0) {
                args.set(at + 1, extra[i + 1]);
            } else {
                args.addAll(List.of(extra[i], extra[i + 1]));
            }
        }
        return args.toArray(String[]::new);
    }

    @Test
    void aBadLineBeforeTheEndIsRefusedNamingItAndTheFileIsLeftAlone() throws Exception {
        Path out = dir.resolve("bad-line.jsonl");
        assertEquals(0, CliRun.of(new SampleCommand(), smallRun(modelDir, out)).code());
        List<String> original = Files.readAllLines(out);
        List<String> lines = new ArrayList<>(original);
        assertEquals(6, lines.size());
        lines.set(2, "{\"prompt_id\": \"b\", \"sample_in");     // a line cut short that is not the last one
        Files.writeString(out, String.join("\n", lines) + "\n");
        byte[] before = Files.readAllBytes(out);
        CliRun run = CliRun.of(new SampleCommand(), smallRun(modelDir, out));
        assertEquals(2, run.code(), run.out() + run.err());
        assertTrue(run.err().contains(out + ":3: not valid JSON"), run.err());
        assertArrayEquals(before, Files.readAllBytes(out));

        // A prompt with one of its two lines, followed by the next prompt: not something a crash leaves.
        lines = new ArrayList<>(original);
        lines.remove(3);
        Files.writeString(out, String.join("\n", lines) + "\n");
        CliRun gap = CliRun.of(new SampleCommand(), smallRun(modelDir, out));
        assertEquals(2, gap.code(), gap.out() + gap.err());
        assertTrue(gap.err().contains(out + ":4: prompt b has 1 of its 2 samples"), gap.err());
    }

    @Test
    void aResumeWithAnotherModelOrOtherSettingsIsRefusedAndTheFileKept() throws Exception {
        Path out = dir.resolve("settings.jsonl");
        String[] first = smallRun(modelDir, out);
        List<String> firstArgs = new ArrayList<>(List.of(first));
        firstArgs.set(firstArgs.indexOf("--prompts") + 1, dir.resolve("two-prompts.jsonl").toString());
        Files.writeString(dir.resolve("two-prompts.jsonl"), "{\"id\": \"a\", \"prompt\": \"One\"}\n");
        assertEquals(0, CliRun.of(new SampleCommand(), firstArgs.toArray(String[]::new)).code());
        byte[] before = Files.readAllBytes(out);
        assertTrue(Files.exists(dir.resolve("settings.jsonl.meta.json")));

        CliRun hotter = CliRun.of(new SampleCommand(), smallRun(modelDir, out, "--temperature", "0.5"));
        assertEquals(2, hotter.code(), hotter.out() + hotter.err());
        assertTrue(hotter.err().contains(out + ": was written with --temperature 1.0, not 0.5"), hotter.err());
        CliRun system = CliRun.of(new SampleCommand(), smallRun(modelDir, out, "--system-prompt", "Be brief."));
        assertEquals(2, system.code());
        assertTrue(system.err().contains("--system-prompt unset, not 'Be brief.'"), system.err());

        Path other = dir.resolve("other-tiny");
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 8, 0.05, Device.cpu())) {
            ModelFolder.save(m, other, TestPaths.tokenizer());
        }
        CliRun otherModel = CliRun.of(new SampleCommand(), smallRun(other, out));
        assertEquals(2, otherModel.code(), otherModel.out() + otherModel.err());
        assertTrue(otherModel.err().contains(out + ": was written by another model (" + modelDir.toAbsolutePath()), otherModel.err());
        assertArrayEquals(before, Files.readAllBytes(out));

        // The same model and settings resume: prompt a is kept, b and c are added.
        CliRun same = CliRun.of(new SampleCommand(), smallRun(modelDir, out));
        assertEquals(0, same.code(), same.err());
        assertTrue(same.notes().contains("1 of 3 prompts already sampled"), same.notes());
        assertEquals(6, Files.readAllLines(out).size());
    }

    @Test
    void anOutFileHerdDidNotWriteIsRefusedUntouched() throws Exception {
        Path out = dir.resolve("mine.jsonl");
        // Lines in Herd's own format, but not written by it: no record of the model and settings.
        String mine = "{\"prompt_id\": \"a\", \"sample_index\": 0, \"response\": \"x\", \"n\": 2}\nnotes\n";
        Files.writeString(out, mine);
        CliRun run = CliRun.of(new SampleCommand(), smallRun(modelDir, out));
        assertEquals(2, run.code(), run.out() + run.err());
        assertTrue(run.err().contains(out + ": exists but has no mine.jsonl.meta.json, so Herd did not write it"), run.err());
        assertEquals(mine, Files.readString(out));
        assertFalse(Files.exists(dir.resolve("mine.jsonl.meta.json")));
    }
}
