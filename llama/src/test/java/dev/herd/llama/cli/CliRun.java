package dev.herd.llama.cli;

import dev.herd.common.cli.HerdCommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Runs a command as the {@code herd} launcher would and captures what a user sees: the exit code, stdout
 * (commands print with System.out), stderr (picocli's error writer: errors) and notes the command wrote to
 * System.err (skipped records, progress). Shared by every module's CLI tests.
 */
public record CliRun(int code, String out, String err, String notes) {

    public static CliRun of(Object command, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(notes, true, StandardCharsets.UTF_8));
            CommandLine cli = HerdCommandLine.create(command);
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(),
                    notes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
