package dev.herd.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.rm.RewardModel;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Scorer;
import dev.herd.sampling.scoring.Scorers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelScorerTest {

    @Test
    void rmScorerGivesEachSampleItsOwnRewardInOrder(@TempDir Path tmp) {
        Path base = tmp.resolve("base");
        Path rmDir = tmp.resolve("rm");
        try (LlamaModel m = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), 2, 0.05, Device.cpu())) {
            ModelFolder.save(m, base, TestPaths.tokenizer());
        }
        try (RewardModel rm = RewardModel.initFrom(base, 1, Device.cpu())) {
            rm.save(rmDir, base);
        }
        SamplingPrompt p = new SamplingPrompt("1", null, List.of(ChatMessage.user("Name a colour.")), null, null, null);
        SamplingPrompt q = new SamplingPrompt("2", "Once upon a time", null, null, null, null);
        try (Scorer s = Scoring.all().parse("rm:" + rmDir)) {
            assertEquals("rm:" + rmDir.toAbsolutePath().normalize(), s.name());
            // Interleaved prompts: grouped into one row per prompt inside, answered in the caller's order.
            double[] together = s.score(List.of(p, q, p), List.of("Blue", "there was a fox", "Red"));
            assertEquals(s.score(p, "Blue"), together[0], 1e-4);
            assertEquals(s.score(q, "there was a fox"), together[1], 1e-4);
            assertEquals(s.score(p, "Red"), together[2], 1e-4);
            assertTrue(Math.abs(together[0] - together[2]) > 1e-6);
        }
    }
}
