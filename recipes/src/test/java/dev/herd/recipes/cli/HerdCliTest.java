package dev.herd.recipes.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.cli.HerdCommandLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class HerdCliTest {

    static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = HerdCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void helpListsEveryCommand() {
        String[] r = run("--help");
        assertEquals("0", r[0]);
        for (String c : new String[] {"init-model", "logits", "tokenize", "generate", "data", "sft", "dpo", "rm", "sample", "eval", "bench", "run", "demo", "report", "average", "export", "synth"}) {
            assertTrue(r[1].contains(c), c + " missing from --help:\n" + r[1]);
        }
        assertTrue(run("bench", "--help")[1].contains("decoder"));
        assertTrue(run("export", "--help")[1].contains("gguf"));
        assertTrue(run("dpo", "eval", "--help")[1].contains("--json"));
    }

    @Test
    void codeVerifierRunsTheResponseAgainstTheTests() {
        dev.herd.sampling.scoring.Scorer s = dev.herd.recipes.Scoring.all().parse("verify:code");
        dev.herd.sampling.SamplingPrompt p = new dev.herd.sampling.SamplingPrompt("1", "Write add.", null, null,
                "assert add(2, 3) == 5", null);
        assertEquals(1.0, s.score(p, "```python\ndef add(a, b):\n    return a + b\n```\nThis adds."));
        assertEquals(0.0, s.score(p, "def add(a, b):\n    return a - b"));
        assertEquals(0.0, s.score(p, "def add(a, b) return"));
    }

    @Test
    void badInputIsOneLineUnlessDebug(@TempDir Path tmp) {
        String[] r = run("logits", "--model", tmp.resolve("missing").toString(), "--ids", "1");
        assertEquals("2", r[0]);
        assertEquals(1, r[2].trim().split("\n").length, r[2]);
        assertTrue(r[2].startsWith("herd: error: ") && r[2].contains("missing"), r[2]);
        String[] d = run("--debug", "logits", "--model", tmp.resolve("missing").toString(), "--ids", "1");
        assertEquals("2", d[0]);
        assertTrue(d[2].contains("\tat "), "--debug prints the trace:\n" + d[2]);
        String[] unknown = run("logits", "--nope");
        assertEquals("2", unknown[0]);
    }
}
