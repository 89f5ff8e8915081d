package dev.herd.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * A trainer command's {@code --config FILE.json}, as a picocli mixin ({@code @Mixin ConfigFile config}), and the
 * resolution of the command's settings: the trainer's defaults, then this file, then the flags given.
 */
public final class ConfigFile {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--config", paramLabel = "FILE.json", description = "Trainer settings; keys are the flag names. Flags win.")
    Path file;

    /** The command's resolved settings. */
    public ObjectNode values(Settings settings) {
        return values(settings, UnaryOperator.identity());
    }

    /**
     * As {@link #values(Settings)}, with {@code fileKeys} applied to the file's object first: how a trainer keeps
     * accepting an older key of its config files (DPO's {@code alpha}).
     */
    public ObjectNode values(Settings settings, UnaryOperator<JsonNode> fileKeys) {
        ParseResult parsed = command.commandLine().getParseResult();
        ObjectNode v = settings.defaults();
        if (file != null) {
            v = settings.layer(v, fileKeys.apply(Settings.readFile(file)), file.toString());
        }
        return settings.layer(v, settings.given(parsed), "command line");
    }

    /** Where the values came from, for an out-of-range value's message. */
    public String source() {
        return file == null ? "command line" : file + " and the command line";
    }
}
