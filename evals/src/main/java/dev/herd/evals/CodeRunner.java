package dev.herd.evals;

import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs untrusted Python (model completions, HumanEval, {@code verify:code}) in a sandbox made by bubblewrap
 * ({@code bwrap}, Debian's {@code bubblewrap}): a read-only view of the system's programs and libraries only (no
 * {@code /etc}, {@code /home}, {@code /root}, {@code /run} or host {@code /tmp}), a private size-limited tmpfs as
 * its only writable place, new network, PID, IPC, UTS and user namespaces (no network, no UNIX socket of the host,
 * abstract ones included), and limits on processes, address space, CPU time and output. Everything it starts dies
 * with it: the sandbox's PID namespace ends when the program does, and a timeout kills bwrap, whose children die
 * with their parent. Run as root, the sandbox drops to {@code nobody} first, since root is exempt from the
 * process limit. A program passes when it exits 0 in time.
 *
 * <p>Without bubblewrap, model code is refused unless the caller allows unsafe runs (lm-evaluation-harness's
 * {@code confirm_run_unsafe_code}): {@code herd eval --unsafe-code} or {@code HERD_UNSAFE_CODE=1}. Unsafe runs
 * keep the old limits (a temp folder, {@code ulimit}, no network through {@code unshare -rn} where it works).
 */
public final class CodeRunner {

    /** How a run ended. */
    public enum Outcome { PASSED, FAILED, TIMEOUT }

    /** Processes the sandboxed program may have at once (its threads count too). */
    static final int MAX_PROCESSES = 64;
    /** Size of the sandbox's private writable tmpfs. */
    static final long TMPFS_BYTES = 64L << 20;

    private static volatile Boolean bwrapWorks;
    private static volatile Boolean canUnshare;

    private final Duration timeout;
    private final long memoryKb;
    private final long outputKb;
    private final boolean allowUnsafe;
    private final String bwrap;

    /** A sandboxed runner; without bubblewrap, runs are refused unless {@code HERD_UNSAFE_CODE=1}. */
    public CodeRunner(Duration timeout, long memoryMb, long outputKb) {
        this(timeout, memoryMb, outputKb, "1".equals(System.getenv("HERD_UNSAFE_CODE")));
    }

    /** @param allowUnsafe run without isolation where no sandbox is available, instead of refusing */
    public CodeRunner(Duration timeout, long memoryMb, long outputKb, boolean allowUnsafe) {
        this(timeout, memoryMb, outputKb, allowUnsafe, "bwrap");
    }

    CodeRunner(Duration timeout, long memoryMb, long outputKb, boolean allowUnsafe, String bwrap) {
        this.timeout = timeout;
        this.memoryKb = memoryMb * 1024;
        this.outputKb = outputKb;
        this.allowUnsafe = allowUnsafe;
        this.bwrap = bwrap;
    }

    public static CodeRunner defaults() {
        return new CodeRunner(Duration.ofSeconds(10), 2048, 1024);
    }

    /** Whether bubblewrap is installed and can make a sandbox here (user namespaces may be switched off). */
    public static boolean sandboxAvailable() {
        if (bwrapWorks == null) {
            bwrapWorks = works(new CodeRunner(Duration.ofSeconds(5), 256, 64, false).sandboxCommand(List.of("true"), null));
        }
        return bwrapWorks;
    }

    /** Whether the runs of this runner are isolated (a sandbox, or refused): false only for allowed unsafe runs. */
    public boolean isolated() {
        return "bwrap".equals(bwrap) ? sandboxAvailable() : works(sandboxCommand(List.of("true"), null));
    }

    /** Whether network isolation is in effect on this machine for unsafe runs. */
    public static boolean networkIsolated() {
        if (canUnshare == null) {
            canUnshare = works(List.of("unshare", "-rn", "true"));
        }
        return canUnshare;
    }

    private static boolean works(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    public Outcome run(String program) {
        boolean sandboxed = isolated();
        if (!sandboxed && !allowUnsafe) {
            throw new HerdInputException("model-written code needs a sandbox and bubblewrap (bwrap) is not usable here: install it "
                    + "(apt-get install bubblewrap), or run it unisolated with --unsafe-code (herd eval) or HERD_UNSAFE_CODE=1");
        }
        Path dir = null;
        try {
            // Readable by the sandbox's user (nobody, when Herd runs as root); the output is written through an
            // inherited descriptor, so the folder itself needs no write access from inside.
            dir = Files.createTempDirectory("herd-code-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path file = dir.resolve("program.py");
            Files.writeString(file, program);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            List<String> cmd = sandboxed ? sandboxCommand(List.of("python3", "-I", "program.py"), file) : unsafeCommand();
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(dir.resolve("out.txt").toFile()).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("HOME", sandboxed ? "/tmp" : dir.toString());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                return Outcome.TIMEOUT;
            }
            kill(p);    // a sandbox's processes are gone with it; an unsafe run's stragglers are not
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

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
    }

    /** bwrap around {@code command}, with {@code program} (when given) as {@code /tmp/program.py} inside. */
    List<String> sandboxCommand(List<String> command, Path program) {
        List<String> cmd = new ArrayList<>();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(List.of(bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv",
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--ro-bind", "/usr", "/usr"));
        for (String d : List.of("/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc/alternatives", "/etc/ld.so.cache")) {
            cmd.addAll(List.of("--ro-bind-try", d, d));
        }
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--size", String.valueOf(TMPFS_BYTES), "--tmpfs", "/tmp"));
        if (program != null) {
            cmd.addAll(List.of("--ro-bind", program.toString(), "/tmp/program.py"));
        }
        cmd.addAll(List.of("--chdir", "/tmp", "prlimit", "--nproc=" + MAX_PROCESSES, "--as=" + memoryKb * 1024,
                "--fsize=" + outputKb * 1024, "--cpu=" + Math.max(1, timeout.toSeconds() + 1), "--"));
        cmd.addAll(command);
        return cmd;
    }

    private List<String> unsafeCommand() {
        List<String> cmd = new ArrayList<>();
        if (networkIsolated()) {
            cmd.addAll(List.of("unshare", "-rn"));
        }
        cmd.addAll(List.of("bash", "-c", "ulimit -v " + memoryKb + "; ulimit -f " + outputKb + "; exec python3 -I program.py"));
        return cmd;
    }
}
