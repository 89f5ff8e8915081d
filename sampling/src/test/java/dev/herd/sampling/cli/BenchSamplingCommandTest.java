package dev.herd.sampling.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.llama.TestPaths;
import dev.herd.llama.cli.CliRun;
import java.nio.file.Path;
import java.util.HashSet;
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
        for (String row : new String[] {"greedy batch   1:", "decoded in Java", "greedy batch   2:", "sampling (temperature", "median of 15",
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
}
