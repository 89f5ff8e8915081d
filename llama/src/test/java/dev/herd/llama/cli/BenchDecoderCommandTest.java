package dev.herd.llama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.llama.LlamaConfig;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchDecoderCommandTest {

    @TempDir
    Path dir;

    @Test
    void inTurnHandsTheTurnOverAfterEveryTrainingStepAndPrintsEachTimedStep() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        LlamaConfig.of(32, 64, 2, 4, 2, 256, null, true).save(model);
        Path turns = Files.createDirectories(dir.resolve("turns"));
        Process mkfifo = new ProcessBuilder("mkfifo", turns.resolve("turn-out").toString(),
                turns.resolve("turn-in").toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        // The other side, as torch_train.py --in-turn plays it: a step for every 1 byte, answered by a byte.
        AtomicInteger taken = new AtomicInteger();
        AtomicInteger last = new AtomicInteger(-2);
        Thread other = new Thread(() -> {
            try (InputStream theirs = new FileInputStream(turns.resolve("turn-out").toFile());
                 OutputStream ours = new FileOutputStream(turns.resolve("turn-in").toFile())) {
                int b;
                while ((b = theirs.read()) == 1) {
                    taken.incrementAndGet();
                    ours.write(1);
                    ours.flush();
                }
                last.set(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        other.setDaemon(true);
        other.start();
        CliRun run = CliRun.of(new BenchDecoderCommand(), "--model", model.toString(), "--batch", "2", "--seq-len", "16",
                "--steps", "3", "--in-turn", turns.toString());
        other.join(60_000);
        assertEquals(0, run.code(), run.err() + run.notes());
        assertEquals(4, taken.get(), "a turn after the warm-up step and after each of the 3 timed steps");
        assertEquals(0, last.get(), "the end is told by a 0 byte");
        String line = run.out().lines().filter(l -> l.startsWith("training steps (s, in turn, after the warm-up):"))
                .findFirst().orElseThrow(() -> new AssertionError(run.out()));
        String[] seconds = line.split(":", 2)[1].trim().split("\\s+");
        assertEquals(3, seconds.length, line);
        for (String s : seconds) {
            assertTrue(Double.parseDouble(s) > 0, line);
        }
    }

    @Test
    void aMissingPipeIsOneLineNamingItAndExitCode2BeforeAnyWork() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        LlamaConfig.of(32, 64, 2, 4, 2, 256, null, true).save(model);
        CliRun run = CliRun.of(new BenchDecoderCommand(), "--model", model.toString(), "--in-turn", dir.toString());
        assertEquals(2, run.code(), run.out() + run.err());
        assertTrue(run.err().contains(dir.resolve("turn-out") + ": no such pipe"), run.err());
        assertTrue(run.out().isEmpty(), "nothing measured: " + run.out());
    }
}
