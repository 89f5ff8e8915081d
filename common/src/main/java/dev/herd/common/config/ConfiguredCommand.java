package dev.herd.common.config;

import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A command whose flags come from a stage's {@link Settings} table. Name {@link Flags} as the command's
 * {@code modelTransformer}, and picocli adds the table's options when it builds the command, wherever it is built.
 */
public interface ConfiguredCommand {

    Settings settings();

    /** Adds a {@link ConfiguredCommand}'s settings to its picocli model. */
    final class Flags implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            if (spec.userObject() instanceof ConfiguredCommand c) {
                c.settings().addOptions(spec);
            }
            return spec;
        }
    }
}
