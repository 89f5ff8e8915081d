package dev.herd.llama.cli;

import dev.herd.common.HerdInputException;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Takes turns with another process through two named pipes in one folder: {@code turn-out} (a byte when this side
 * is done with a step: 1, or 0 at the end) and {@code turn-in} (a byte when the other side is done with its step).
 * Why: two benchmarks stepping in turn meet the same load of the machine, where two processes run one after the
 * other meet its drift (on the 2-core machine, Herd's training tokens/s over PyTorch's ranged 0.77–1.13× in
 * sixteen alternated rounds on 2026-12-03, 0.98–1.03× stepped in turn the same day).
 */
final class TurnTaking implements AutoCloseable {

    private final OutputStream out;
    private final InputStream in;

    private TurnTaking(OutputStream out, InputStream in) {
        this.out = out;
        this.in = in;
    }

    /** Fails with one line naming the first of the folder's two pipes that is missing. */
    static void requirePipes(Path folder) {
        Path out = folder.resolve("turn-out");
        Path in = folder.resolve("turn-in");
        for (Path p : new Path[] {out, in}) {
            if (!Files.exists(p)) {
                throw new HerdInputException(p + ": no such pipe (make both with mkfifo " + out + " " + in + ")");
            }
        }
    }

    /** Opens the folder's pipes (blocking until the other side opens them too, turn-out first). */
    static TurnTaking open(Path folder) {
        requirePipes(folder);
        Path out = folder.resolve("turn-out");
        Path in = folder.resolve("turn-in");
        try {
            OutputStream o = new FileOutputStream(out.toFile());
            return new TurnTaking(o, new FileInputStream(in.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hands the turn over and waits until it comes back. */
    void pass() {
        try {
            out.write(1);
            out.flush();
            if (in.read() < 0) {
                throw new IllegalStateException("the other process closed turn-in before its turn was over");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tells the other side that there are no more turns. */
    @Override
    public void close() {
        try (OutputStream o = out; InputStream i = in) {
            o.write(0);
            o.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
