package dev.herd.sft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.SftExample;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatMessage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import dev.herd.sft.SftConfig;
import dev.herd.sft.SftEncoder;

/** {@code herd sft}: flags generated from {@link SftConfig#SETTINGS}, a --config file under them. */
class SftCommandTest {

    @Test
    void helpListsTheGeneratedFlagsWithTheirDefaults() {
        StringWriter out = new StringWriter();
        new CommandLine(new SftCommand()).usage(new PrintWriter(out));
        String help = out.toString().replaceAll("\\s+", " ");      // as read, whatever the wrapping
        assertTrue(help.contains("--eval-fraction=X") && help.contains("Held-out share when no row has split test/validation. "
                + "Default: 0.05."), help);
        assertTrue(help.contains("--max-steps=N") && help.contains("--no-pack") && help.contains("--config=FILE.json"), help);
        assertFalse(help.contains("--min-lr-ratio"), "file-only");
    }


    @Test
    void aConfigFileIsLaidOverTheDefaultsAndTheFlagsOverIt(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("sft.json");
        Files.writeString(file, "{\"max_steps\": 5, \"lr\": 0.01, \"overlong\": \"drop\", \"min-lr-ratio\": 0.1}");
        SftCommand cmd = new SftCommand();
        new CommandLine(cmd).parseArgs("--base=b", "--data=d", "--out=o", "--config", file.toString(), "--lr", "0.02");
        SftConfig c = SftConfig.of(cmd.config.values(cmd.settings()), cmd.config.source());
        assertEquals(5, c.training().maxSteps());
        assertEquals(0.02, c.training().lr(), "the flag wins");
        assertEquals(0.1, c.training().minLrRatio());
        assertEquals(SftEncoder.Overlong.DROP, c.overlong());
    }

}
