package dev.herd.common.cli;

import dev.herd.common.HerdInputException;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Builds picocli command lines that behave the Herd way: bad input is one line on stderr and exit code 2,
 * with the stack trace only under {@code --debug}; anything else is a bug and exits 1 with its trace.
 *
 * <p>Every module's commands are plain picocli classes; the {@code herd} launcher and the tests run them
 * through {@link #create(Object)} so both see the same error handling.
 */
public final class HerdCommandLine {

    /** Exit code for bad input (a malformed file, a missing key, an unknown flag). */
    public static final int EXIT_BAD_INPUT = 2;

    private HerdCommandLine() {}

    public static CommandLine create(Object command) {
        return create(command, CommandLine.defaultFactory());
    }

    /** With a factory for subcommands that take what the caller gives them (e.g. the scorers of {@code herd sample}). */
    public static CommandLine create(Object command, CommandLine.IFactory factory) {
        CommandLine cli = new CommandLine(command, factory);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(HerdCommandLine::handle);
        cli.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("herd: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        return cli;
    }

    /** Runs {@code args} and returns the exit code. */
    public static int run(Object command, String... args) {
        return create(command).execute(args);
    }

    private static int handle(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
        boolean debug = debugRequested(parsed);
        PrintWriter err = cli.getErr();
        HerdInputException input = findInputError(ex);
        if (input != null) {
            err.println("herd: error: " + input.getMessage());
            if (debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_BAD_INPUT;
        }
        err.println("herd: internal error: " + ex);
        ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    private static HerdInputException findInputError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HerdInputException h) {
                return h;
            }
        }
        return null;
    }

    private static boolean debugRequested(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.originalArgs() != null && p.originalArgs().contains("--debug")) {
                return true;
            }
        }
        return false;
    }
}
