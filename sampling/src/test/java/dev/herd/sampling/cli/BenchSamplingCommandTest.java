package dev.herd.sampling.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TestPaths;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.engine.SampleRequest;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchSamplingCommandTest {

    @TempDir
    Path dir;

    @Test
    void printsEveryRowAndWritesAProfilerTraceOfTheDecodeWhenAsked() throws Exception {
        Path model = TestPaths.tinyModel(dir.resolve("tiny"), 3, 0.05);
        Path trace = dir.resolve("trace.json");
        CliRun run = CliRun.of(new BenchSamplingCommand(), "--model", model.toString(), "--batches", "1,2",
                "--prompt-len", "8", "--new-tokens", "4", "--rs-prompts", "1", "--rs-prompt-len", "16",
                "--rs-new-tokens", "4", "--k", "2", "--profile", trace.toString());
        assertEquals(0, run.code(), run.err() + run.notes());
        for (String row : new String[] {"greedy batch   1:", "decoded in Java", "greedy batch   2:", "sampling (temperature", "in decode steps, 95% CI [", "(median of 31 runs, a greedy and a sampled engine stepping in turn",
                "sharing them", "rejection sampling"}) {
            assertTrue(run.out().contains(row), row + " missing from:\n" + run.out());
        }
        // The trace is libtorch's: every call of the profiled greedy run, the decoder's products and the argmax
        // that picks each greedy token among them.
        JsonNode events = new ObjectMapper().readTree(trace.toFile());
        Set<String> names = new HashSet<>();
        events.forEach(e -> names.add(e.path("name").asText()));
        assertTrue(names.contains("aten::argmax"), names.toString());
        assertTrue(names.contains("aten::mm") || names.contains("aten::matmul") || names.contains("aten::linear"), names.toString());
        assertTrue(run.out().contains("profile: " + trace), run.out());
    }

    @Test
    void twoEnginesSteppedInTurnEachDecodeEveryTokenOfTheirOwnRequests() {
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 512, null, true), 1, 0.05, Device.cpu())) {
            List<SampleRequest> three = BenchSamplingCommand.greedy(BenchSamplingCommand.randomPrompts(3, 8, 512, 1), 5, 1);
            List<SampleRequest> two = BenchSamplingCommand.greedy(BenchSamplingCommand.randomPrompts(2, 20, 512, 2), 9, 1);
            PagedEngine.Options o = new PagedEngine.Options(4, 16, 16, true);
            for (boolean threeFirst : new boolean[] {true, false}) {
                PagedEngine.Stats[] st = threeFirst ? BenchSamplingCommand.inTurn(m, three, two, o)
                        : BenchSamplingCommand.inTurn(m, two, three, o);
                PagedEngine.Stats s3 = st[threeFirst ? 0 : 1];
                PagedEngine.Stats s2 = st[threeFirst ? 1 : 0];
                // The first token of each sequence comes out of its prefill; the others out of decode steps.
                assertEquals(3 * 5, s3.generatedTokens());
                assertEquals(3 * 4, s3.decodedTokens());
                assertEquals(2 * 9, s2.generatedTokens());
                assertEquals(2 * 8, s2.decodedTokens());
                assertEquals(3 * 8, s3.promptTokens());
                assertEquals(2 * 20, s2.promptTokens());
            }
        }
    }

    @Test
    void withoutRejectionSamplingPromptsTheBenchPrintsNoRejectionSamplingRow() {
        Path model = TestPaths.tinyModel(dir.resolve("tiny"), 4, 0.05);
        CliRun run = CliRun.of(new BenchSamplingCommand(), "--model", model.toString(), "--batches", "2",
                "--prompt-len", "8", "--new-tokens", "3", "--rs-prompts", "0", "--rs-prompt-len", "16",
                "--rs-new-tokens", "3", "--k", "2");
        assertEquals(0, run.code(), run.err() + run.notes());
        assertTrue(run.out().contains("K=2 samples of one 16-token prompt"), run.out());
        assertFalse(run.out().contains("rejection sampling"), run.out());
    }

    @Test
    void theMediansIntervalSpansTheOrderStatisticsThatTheBinomialTailAllows() {
        // By hand: P(Bin(31, ½) ≤ 9) = 0.0148, ≤ 10: 0.0354; P(Bin(25, ½) ≤ 7) = 0.0216, ≤ 8: 0.0539.
        assertEquals(9, BenchSamplingCommand.medianRankLow(31));
        assertEquals(7, BenchSamplingCommand.medianRankLow(25));
        assertEquals(0, BenchSamplingCommand.medianRankLow(5), "P(Bin(5, ½) = 0) = 0.031: no 95% interval, the extremes");
    }
}
