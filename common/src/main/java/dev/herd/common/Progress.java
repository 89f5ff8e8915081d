package dev.herd.common;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work (training, sampling, evaluation) on stderr, as people read it. On a terminal: a bar on
 * the last line, with log lines ({@link #log}) printed above it, as {@code tqdm.write} does (the bar's line
 * cleared, the line printed, the bar redrawn below). Anywhere else (a log file, a pipe): no bar frames, one line
 * per piece of work when it ends. {@code HERD_PROGRESS=0} silences both, {@code HERD_PROGRESS=1} forces the bar.
 */
public final class Progress implements AutoCloseable {

    /** Held while anything is written to stderr through here: a bar frame never lands inside a log line. */
    private static final Object LOCK = new Object();
    private static final String CLEAR_LINE = "\r\033[K";
    private static volatile Progress active;

    private final ProgressBar bar;          // null unless drawn on a terminal
    private final PrintStream err;
    private final String task;
    private final long total;
    private final long start = System.nanoTime();
    private final boolean summary;
    private long done;
    private String extra = "";

    private Progress(String task, long total, PrintStream err, Mode mode) {
        this.task = task;
        this.total = total;
        this.err = err;
        this.summary = mode == Mode.LINES;
        this.bar = mode != Mode.BAR ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).setConsumer(new Frames(err)).build();
        if (bar != null) {
            active = this;
        }
    }

    enum Mode { BAR, LINES, SILENT }

    public static Progress of(String task, long total) {
        return new Progress(task, total, System.err, mode());
    }

    /** For tests: progress drawn on {@code err} in the given mode. */
    static Progress of(String task, long total, PrintStream err, Mode mode) {
        return new Progress(task, total, err, mode);
    }

    private static Mode mode() {
        String env = System.getenv("HERD_PROGRESS");
        if ("0".equals(env)) {
            return Mode.SILENT;
        }
        return "1".equals(env) || stderrIsTerminal() ? Mode.BAR : Mode.LINES;
    }

    /** Whether file descriptor 2 is a terminal (Linux: it links to a tty device); else whether Java sees a console. */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    /** Prints a log line on stderr above the bar, if one is drawn. */
    public static void log(String line) {
        Progress p = active;
        log(line, p != null ? p.err : System.err, p);
    }

    static void log(String line, PrintStream err, Progress withBar) {
        synchronized (LOCK) {
            if (withBar != null && withBar.bar != null) {
                err.print(CLEAR_LINE);
            }
            err.println(line);
            err.flush();
        }
        if (withBar != null && withBar.bar != null) {
            withBar.bar.refresh();
        }
    }

    public void step(String extra) {
        done++;
        this.extra = extra;
        if (bar != null) {
            bar.step();
            bar.setExtraMessage(" " + extra);
        }
    }

    public void step() {
        done++;
        if (bar != null) {
            bar.step();
        }
    }

    public void stepTo(long n) {
        done = n;
        if (bar != null) {
            bar.stepTo(n);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            if (active == this) {
                active = null;
            }
        } else if (summary) {
            long secs = (System.nanoTime() - start) / 1_000_000_000L;
            Duration d = Duration.ofSeconds(secs);
            log(String.format("%s: %d/%d in %d:%02d:%02d%s", task, done, total, d.toHours(), d.toMinutesPart(),
                    d.toSecondsPart(), extra.isEmpty() ? "" : ", " + extra.strip()), err, null);
        }
    }

    /** Draws frames at the start of the terminal's last line, under the lock. */
    private static final class Frames implements ProgressBarConsumer {
        private final PrintStream err;

        Frames(PrintStream err) {
            this.err = err;
        }

        @Override
        public int getMaxRenderedLength() {
            try {
                return Math.max(40, Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100")) - 1);
            } catch (NumberFormatException e) {
                return 99;
            }
        }

        @Override
        public void accept(String frame) {
            synchronized (LOCK) {
                err.print(CLEAR_LINE + frame);
                err.flush();
            }
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                err.println();
                err.flush();
            }
        }
    }
}
