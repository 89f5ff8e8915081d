package dev.herd.evals;

import dev.herd.llama.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs untrusted Python (model completions) in a sandbox: its own temporary directory, python3 in isolated
 * mode, a wall-clock timeout, a memory limit and an output-size limit ({@code ulimit -v}, {@code ulimit -f}:
 * a program that floods its output is killed), and no network where the OS allows it (a fresh network
 * namespace through {@code unshare -rn}). A program passes when it exits 0 in time.
 */
public final class CodeRunner {

    /** How a run ended. */
    public enum Outcome { PASSED, FAILED, TIMEOUT }

    private static volatile Boolean canUnshare;

    private final Duration timeout;
    private final long memoryKb;
    private final long outputKb;

    public CodeRunner(Duration timeout, long memoryMb, long outputKb) {
        this.timeout = timeout;
        this.memoryKb = memoryMb * 1024;
        this.outputKb = outputKb;
    }

    public static CodeRunner defaults() {
        return new CodeRunner(Duration.ofSeconds(10), 2048, 1024);
    }

    /** Whether network isolation is in effect on this machine. */
    public static boolean networkIsolated() {
        if (canUnshare == null) {
            try {
                Process p = new ProcessBuilder("unshare", "-rn", "true").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                canUnshare = p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException | InterruptedException e) {
                canUnshare = false;
            }
        }
        return canUnshare;
    }

    public Outcome run(String program) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("herd-code-");
            Path file = dir.resolve("program.py");
            Files.writeString(file, program);
            List<String> cmd = new ArrayList<>();
            if (networkIsolated()) {
                cmd.addAll(List.of("unshare", "-rn"));
            }
            cmd.addAll(List.of("bash", "-c", "ulimit -v " + memoryKb + "; ulimit -f " + outputKb + "; exec python3 -I program.py"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(dir.resolve("out.txt").toFile()).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            pb.environment().put("HOME", dir.toString());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return Outcome.TIMEOUT;
            }
            return p.exitValue() == 0 ? Outcome.PASSED : Outcome.FAILED;
        } catch (IOException e) {
            return Outcome.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.FAILED;
        } finally {
            if (dir != null) {
                ModelFolder.deleteTree(dir);
            }
        }
    }

}
