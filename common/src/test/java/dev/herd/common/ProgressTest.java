package dev.herd.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Progress output as people read it: log lines above a terminal's bar; in a log file, lines and no frames. */
class ProgressTest {

    static final String CLEAR_LINE = "\r\033[K";

    @Test
    void inALogFileThereAreNoBarFramesAndEachLogLineIsItsOwnLineThenOneSummaryLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = Progress.of("train", 20, err, Progress.Mode.LINES)) {
            for (int i = 1; i <= 20; i++) {
                p.step("loss 0.5");
                if (i % 10 == 0) {
                    Progress.log("step " + i + ": loss 0.5000", err, p);
                }
            }
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), "no carriage-return frames: " + out);
        List<String> lines = Arrays.asList(out.split("\n"));
        assertEquals(List.of("step 10: loss 0.5000", "step 20: loss 0.5000"), lines.subList(0, 2));
        assertTrue(lines.get(2).matches("train: 20/20 in 0:00:0\\d, loss 0.5"), lines.get(2));
        assertEquals(3, lines.size(), out);
    }

    @Test
    void onATerminalALogLineClearsTheBarsLineAndTheBarIsRedrawnBelowIt() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = Progress.of("train", 20, err, Progress.Mode.BAR)) {
            for (int i = 1; i <= 20; i++) {
                p.step("loss 0.5");
                if (i % 10 == 0) {
                    Thread.sleep(20);
                    Progress.log("step " + i + ": loss 0.5000", err, p);
                }
            }
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        // What a terminal shows: each "\n"-ended row, after its last carriage return (the frames it overdrew).
        List<String> rows = Arrays.stream(out.split("\n")).map(r -> r.substring(r.lastIndexOf('\r') + 1).replace("\033[K", "")).toList();
        assertTrue(rows.contains("step 10: loss 0.5000") && rows.contains("step 20: loss 0.5000"), "log lines whole: " + rows);
        for (String r : rows) {
            assertTrue(r.startsWith("step ") || r.startsWith("train "), "a row is a log line or the bar, never both: " + r);
        }
        assertTrue(out.contains(CLEAR_LINE + "step 10"), "the bar's line is cleared first");
        int lastLog = out.lastIndexOf("step 20: loss 0.5000\n");
        assertTrue(out.indexOf("train ", lastLog) > lastLog, "the bar is redrawn below the last log line");
    }
}
