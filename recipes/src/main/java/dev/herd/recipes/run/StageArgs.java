package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.dpo.DpoCommand;
import dev.herd.common.HerdInputException;
import dev.herd.common.cli.HerdCommandLine;
import dev.herd.llama.cli.InitModelCommand;
import dev.herd.rm.RmCommand;
import dev.herd.sampling.SampleCommand;
import dev.herd.sft.SftCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Turns a stage's settings in a recipe into the stage command's arguments. The settings are the command's own
 * flags, so {@code herd sft --help} documents them; the flags that wire stages together (which model, which
 * data, where to write) belong to the loop and are refused in a recipe. Checked against the command's picocli
 * model before anything runs, so a typo fails in the first second rather than in round 4.
 */
public final class StageArgs {

    /**
     * How a recipe stage maps onto a command.
     *
     * @param command  builds the top-level command object
     * @param sub      subcommand to run (e.g. {@code train} of {@code herd rm}), or null
     * @param managed  flags the loop sets
     * @param extra    recipe keys that are not flags of the command
     * @param wired    the managed flags the loop passes (some managed ones are alternatives, e.g. --data or --db)
     */
    record Spec(Supplier<Object> command, String sub, Set<String> managed, Set<String> extra, List<String> wired) {}

    private static final Set<String> ALWAYS = Set.of("help", "version", "debug", "config");
    private static final Set<String> TRAINER_EXTRA = Set.of("runs", "weights", "data");

    static final Map<String, Spec> SPECS = Map.of(
            "rm", new Spec(RmCommand::new, "train", Set.of("base", "out", "data", "db", "where"), TRAINER_EXTRA,
                    List.of("base", "out", "db", "where")),
            "sft", new Spec(SftCommand::new, null, Set.of("base", "data", "db", "out"), TRAINER_EXTRA,
                    List.of("base", "data", "db", "out")),
            "dpo", new Spec(DpoCommand::new, null, Set.of("policy", "ref", "data", "db", "out"), TRAINER_EXTRA,
                    List.of("policy", "ref", "data", "db", "out")),
            "sample", new Spec(SampleCommand::new, null, Set.of("model", "model-name", "prompts", "db", "out", "round", "pairs", "no-keep"),
                    Set.of("prompts-per-round"), List.of("model", "prompts", "db", "round")));

    /** {@code herd init-model}, for a recipe's {@code {"init": {...}}} models. */
    static final Spec INIT = new Spec(InitModelCommand::new, null, Set.of("out"), Set.of(), List.of("out"));

    private StageArgs() {}

    /** Checks one stage's settings (keys, and values by parsing them as the command would). */
    static void check(String stage, JsonNode settings, String where) {
        if (settings.isBoolean() && !settings.asBoolean()) {
            return;   // a round override switching the stage off
        }
        if (stage.equals("curate")) {
            Recipe.checkKeys(settings, Set.of("steps", "where"), where);
            if (!settings.path("steps").isArray()) {
                throw new HerdInputException(where + ": 'steps' must be a list of curation steps (see herd data curate --help)");
            }
            CurateStage.parseSteps(settings.get("steps"), "true", where);
            return;
        }
        Spec spec = SPECS.get(stage);
        Recipe.checkKeys(settings, validKeys(spec), where);
        if (spec.extra().contains("runs")) {
            JsonNode runs = settings.path("runs");
            if (!runs.isMissingNode()) {
                if (!runs.isArray() || runs.isEmpty()) {
                    throw new HerdInputException(where + ".runs: expected a non-empty list of setting overrides (one per run)");
                }
                for (int i = 0; i < runs.size(); i++) {
                    Set<String> own = new TreeSet<>(validKeys(spec));
                    own.removeAll(TRAINER_EXTRA);
                    Recipe.checkKeys(runs.get(i), own, where + ".runs[" + i + "]");
                }
            }
            JsonNode weights = settings.path("weights");
            if (!weights.isMissingNode()) {
                int n = runs.isMissingNode() ? 1 : runs.size();
                if (!weights.isArray() || weights.size() != n) {
                    throw new HerdInputException(where + ".weights: expected " + n + " positive numbers, one per run");
                }
                weights.forEach(w -> {
                    if (!w.isNumber() || w.asDouble() <= 0) {
                        throw new HerdInputException(where + ".weights: expected positive numbers, got " + w);
                    }
                });
            }
            if (settings.has("data") && !settings.get("data").isTextual()) {
                throw new HerdInputException(where + ".data: expected an SQL condition (text)");
            }
        }
        List<String> args = new ArrayList<>();
        for (String m : spec.wired()) {
            args.add("--" + m + "=" + placeholder(m));
        }
        args.addAll(flags(settings, spec));
        if (spec.extra().contains("runs") && settings.has("runs")) {
            for (JsonNode run : settings.get("runs")) {
                List<String> withRun = new ArrayList<>(args);
                withRun.addAll(flags(run, spec));
                parse(spec, withRun, where);
            }
        } else {
            parse(spec, args, where);
        }
    }

    static void checkInit(JsonNode init, String where) {
        Recipe.checkKeys(init, validKeys(INIT), where);
        List<String> args = new ArrayList<>(List.of("--out=x"));
        args.addAll(flags(init, INIT));
        parse(INIT, args, where);
    }

    /** The command-line flags for {@code settings}, leaving out the recipe's own keys. */
    static List<String> flags(JsonNode settings, Spec spec) {
        List<String> out = new ArrayList<>();
        settings.fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (spec.extra().contains(k)) {
                return;
            }
            JsonNode v = e.getValue();
            if (v.isBoolean()) {
                if (v.asBoolean()) {
                    out.add("--" + k);
                }
            } else if (v.isArray()) {
                v.forEach(x -> out.add("--" + k + "=" + x.asText()));
            } else if (!v.isNull()) {
                out.add("--" + k + "=" + v.asText());
            }
        });
        return out;
    }

    static Set<String> validKeys(Spec spec) {
        Set<String> out = new TreeSet<>(spec.extra());
        for (CommandLine.Model.OptionSpec o : model(spec).options()) {
            String name = o.longestName().replaceFirst("^--?", "");
            if (!ALWAYS.contains(name) && !spec.managed().contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    private static CommandLine.Model.CommandSpec model(Spec spec) {
        CommandLine cli = new CommandLine(spec.command().get());
        return (spec.sub() == null ? cli : cli.getSubcommands().get(spec.sub())).getCommandSpec();
    }

    private static void parse(Spec spec, List<String> args, String where) {
        CommandLine cli = HerdCommandLine.create(spec.command().get());
        List<String> all = new ArrayList<>();
        if (spec.sub() != null) {
            all.add(spec.sub());
        }
        all.addAll(args);
        try {
            cli.parseArgs(all.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new HerdInputException(where + ": " + Recipe.firstLine(e.getMessage()));
        }
    }

    private static String placeholder(String flag) {
        return switch (flag) {
            case "round" -> "1";
            case "prompts", "data" -> "db:true";
            default -> "x";
        };
    }

    /** Runs a stage command in this process; a non-zero exit is an error naming the step. */
    static void run(String stage, List<String> args, String step) {
        Spec spec = SPECS.get(stage);
        List<String> all = new ArrayList<>();
        if (spec.sub() != null) {
            all.add(spec.sub());
        }
        all.addAll(args);
        int rc = HerdCommandLine.run(spec.command().get(), all.toArray(String[]::new));
        if (rc == HerdCommandLine.EXIT_BAD_INPUT) {
            throw new HerdInputException(step + " failed (see the error above)");
        }
        if (rc != 0) {
            throw new IllegalStateException(step + " failed with exit code " + rc);
        }
    }
}
