package dev.herd.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.StringWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

class SettingsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final Settings TABLE = Settings.of(
            Setting.of("lr", 1e-5, "Peak learning rate."),
            Setting.of("max-steps", 0, "Stop after N steps."),
            Setting.of("seed", 42L, "Seed."),
            Setting.of("system-prompt", (String) null, "System turn."),
            Setting.flag("no-pack", "One conversation per row."),
            Setting.list("stop", List.of(), "Stop string (repeatable)."),
            Setting.list("pairs", List.of("chosen>rejected"), "Pair kinds.").fileOnly());

    @Command(name = "train", modelTransformer = ConfiguredCommand.Flags.class)
    static final class TrainCommand implements Callable<Integer>, ConfiguredCommand {
        @Spec CommandLine.Model.CommandSpec spec;
        @Option(names = "--config") Path config;
        ObjectNode resolved;

        @Override
        public Settings settings() {
            return TABLE;
        }

        @Override
        public Integer call() {
            resolved = TABLE.fromCommandLine(spec.commandLine().getParseResult(), config);
            return 0;
        }
    }

    @Test
    void aRecipeObjectIsLaidOverTheDefaultsWithHuggingFaceSpellingAccepted() throws Exception {
        ObjectNode v = TABLE.resolve(JSON.readTree("{\"max_steps\": 30, \"stop\": \"\\n\"}"), "recipe.json: stages.sft");
        assertEquals(30, v.get("max-steps").asInt());
        assertEquals(1e-5, v.get("lr").asDouble());
        assertEquals(42L, v.get("seed").asLong());
        assertTrue(v.get("system-prompt").isNull());
        assertFalse(v.get("no-pack").asBoolean());
        assertEquals("[\"\\n\"]", v.get("stop").toString(), "a lone string is a one-item list");
        assertEquals("[\"chosen>rejected\"]", v.get("pairs").toString());
    }

    @Test
    void anUnknownKeyOrAWrongTypeIsOneLineNamingTheSourceAndTheKey() throws Exception {
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> TABLE.resolve(JSON.readTree("{\"max-stpes\": 3}"), "r.json: stages.sft"));
        assertTrue(e.getMessage().startsWith("r.json: stages.sft: unknown setting 'max-stpes'; known: lr, max-steps,"), e.getMessage());
        e = assertThrows(HerdInputException.class, () -> TABLE.resolve(JSON.readTree("{\"max-steps\": 2.5}"), "f"));
        assertEquals("f: 'max-steps' must be an integer, got 2.5", e.getMessage());
        e = assertThrows(HerdInputException.class, () -> TABLE.resolve(JSON.readTree("{\"lr\": \"fast\"}"), "f"));
        assertEquals("f: 'lr' must be a number, got \"fast\"", e.getMessage());
        e = assertThrows(HerdInputException.class, () -> TABLE.resolve(JSON.readTree("{\"no-pack\": 1}"), "f"));
        assertEquals("f: 'no-pack' must be true or false, got 1", e.getMessage());
    }

    @Test
    void flagsAreGeneratedFromTheTableAndWinOverTheConfigFileWhichWinsOverDefaults(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"lr\": 0.01, \"max-steps\": 7, \"pairs\": [\"edited>chosen\"]}");
        TrainCommand cmd = new TrainCommand();
        assertEquals(0, new CommandLine(cmd).execute("--config", cfg.toString(), "--max-steps", "9", "--no-pack",
                "--stop", "a", "--stop", "b"));
        assertEquals(0.01, cmd.resolved.get("lr").asDouble(), "from the file");
        assertEquals(9, cmd.resolved.get("max-steps").asInt(), "the flag wins");
        assertTrue(cmd.resolved.get("no-pack").asBoolean());
        assertEquals("[\"a\",\"b\"]", cmd.resolved.get("stop").toString());
        assertEquals("[\"edited>chosen\"]", cmd.resolved.get("pairs").toString());
        assertEquals(42L, cmd.resolved.get("seed").asLong(), "untouched default");
    }

    @Test
    void helpShowsEachFlagWithItsDefaultAndNoFlagForFileOnlySettings() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new TrainCommand());
        cl.usage(new PrintWriter(out));
        String help = out.toString();
        assertTrue(help.contains("--lr=X") && help.contains("Peak learning rate. Default: 1.0E-5."), help);
        assertTrue(help.contains("--max-steps=N") && help.contains("Stop after N steps. Default: 0."), help);
        assertTrue(help.contains("--no-pack") && help.contains("--stop=TEXT"), help);
        assertFalse(help.contains("--pairs"), help);
        assertEquals(2, new CommandLine(new TrainCommand()).setErr(new PrintWriter(new StringWriter())).execute("--pairs", "x"),
                "not a flag");
    }

    @Test
    void aTypoedFlagIsRefusedByPicocliLikeAnyUnknownOption() {
        JsonNode none = JSON.createObjectNode();
        assertEquals(TABLE.defaults(), TABLE.resolve(none, "x"));
        int rc = new CommandLine(new TrainCommand()).setErr(new PrintWriter(new StringWriter())).execute("--max-stpes", "3");
        assertEquals(2, rc);
    }
}
