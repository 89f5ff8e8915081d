package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-written code cannot reach what it must not: each escape that worked with the old runner (files outside its
 * folder, the host's files, a UNIX socket of the host, the network, a process left running, a fork bomb) is
 * tried from inside the sandbox; a correct program still passes (HumanEval's canonical solutions: see
 * ReplayAcceptanceTest). Skipped, with the reason, where bubblewrap cannot make a sandbox (.ci/run installs it).
 */
class SandboxTest {

    @TempDir
    Path tmp;

    static CodeRunner runner;

    @BeforeAll
    static void sandbox() {
        assumeTrue(CodeRunner.sandboxAvailable(), "bubblewrap cannot make a sandbox on this machine");
        runner = new CodeRunner(Duration.ofSeconds(5), 512, 256);
    }

    @Test
    void aCorrectProgramPassesAndAWrongOneFails() {
        assertEquals(CodeRunner.Outcome.PASSED, runner.run("import math\nassert math.gcd(12, 18) == 6\n"));
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("assert 1 + 1 == 3\n"));
    }

    @Test
    void writesGoToAPrivateTmpfsAndNeverToTheHost() throws Exception {
        Path target = Path.of("/tmp", "herd-escape-" + UUID.randomUUID());
        Path here = tmp.resolve("escape.txt");
        String program = "import os\n"
                + "open('/tmp/scratch.txt', 'w').write('private')\n"          // allowed: the sandbox's own tmpfs
                + "assert open('/tmp/scratch.txt').read() == 'private'\n"
                + "for p in ['" + target + "', '" + here + "', '/usr/escape.txt', '/escape.txt']:\n"
                + "    try:\n"
                + "        open(p, 'w').write('escaped')\n"
                + "    except OSError:\n"
                + "        pass\n";
        assertEquals(CodeRunner.Outcome.PASSED, runner.run(program));
        assertFalse(Files.exists(target), "the host's /tmp");
        assertFalse(Files.exists(here), "a folder of the caller's");
        assertFalse(Files.exists(Path.of("/usr/escape.txt")));
        assertFalse(Files.exists(Path.of("/escape.txt")));
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("open('/tmp/big', 'wb').write(b'x' * (200 << 20))\n"),
                "the tmpfs is bounded (and so is each file)");
    }

    @Test
    void theHostsFilesAreNotThere() {
        assumeTrue(Files.isReadable(Path.of("/etc/hostname")), "no /etc/hostname on this host");
        assertEquals(CodeRunner.Outcome.FAILED, runner.run("print(open('/etc/hostname').read())\n"));
        assertEquals(CodeRunner.Outcome.PASSED, runner.run("import os\n"
                + "for p in ['/etc/passwd', '/etc/hostname', '/root', '/home', '/run', '/var']:\n"
                + "    assert not os.path.exists(p), p\n"));
    }

    @Test
    void neitherTheNetworkNorAUnixSocketOfTheHostIsReachable() throws Exception {
        Path sock = tmp.resolve("host.sock");
        try (ServerSocket tcp = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            unix.bind(UnixDomainSocketAddress.of(sock));
            assertEquals(CodeRunner.Outcome.FAILED, runner.run("import socket\n"
                    + "socket.create_connection(('127.0.0.1', " + tcp.getLocalPort() + "), timeout=2)\n"));
            assertEquals(CodeRunner.Outcome.FAILED, runner.run("import socket\n"
                    + "s = socket.socket(socket.AF_UNIX)\ns.settimeout(2)\ns.connect('" + sock + "')\n"));
            unix.configureBlocking(false);
            assertEquals(null, unix.accept(), "nothing connected to the host's socket");
        }
    }

    @Test
    void nothingItStartsOutlivesTheRun() throws Exception {
        String marker = "301." + (1000 + new java.util.Random().nextInt(8999));
        long t0 = System.nanoTime();
        assertEquals(CodeRunner.Outcome.PASSED, runner.run("import subprocess\n"
                + "subprocess.Popen(['sleep', '" + marker + "'], start_new_session=True, stdout=subprocess.DEVNULL, "
                + "stderr=subprocess.DEVNULL)\n"));
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "the run does not wait for its detached child");
        Thread.sleep(300);
        assertEquals(0, sleepers(marker), "a detached sleep " + marker + " is still running");
    }

    @Test
    void aForkBombIsBoundedAndEndsWithinTheTimeout() throws Exception {
        String marker = "302." + (1000 + new java.util.Random().nextInt(8999));
        long t0 = System.nanoTime();
        CodeRunner.Outcome o = runner.run("import os, subprocess\n"
                + "subprocess.Popen(['sleep', '" + marker + "'])\n"
                + "while True:\n"
                + "    try:\n"
                + "        os.fork()\n"
                + "    except OSError:\n"
                + "        pass\n");
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(CodeRunner.Outcome.TIMEOUT, o);
        assertTrue(secs < 12, "ended at the limit, took " + secs + " s");
        Thread.sleep(300);
        assertEquals(0, sleepers(marker), "processes of the bomb are left");
        assertEquals(CodeRunner.Outcome.PASSED, runner.run("assert True\n"), "the host still runs the next program");
    }

    @Test
    void withoutASandboxModelCodeIsRefusedUnlessUnsafeRunsAreAllowed() {
        CodeRunner none = new CodeRunner(Duration.ofSeconds(5), 512, 256, false, "no-such-bwrap");
        HerdInputException e = assertThrows(HerdInputException.class, () -> none.run("assert True\n"));
        assertTrue(e.getMessage().contains("bubblewrap") && e.getMessage().contains("--unsafe-code"), e.getMessage());
        CodeRunner unsafe = new CodeRunner(Duration.ofSeconds(5), 512, 256, true, "no-such-bwrap");
        assertEquals(CodeRunner.Outcome.PASSED, unsafe.run("assert 1 + 1 == 2\n"));
    }

    private static long sleepers(String marker) throws IOException {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(marker))
                .orElse(false)).count();
    }
}
