package dev.herd.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import dev.herd.datasets.Preference;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;
import dev.herd.llama.lora.LoraTarget;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO through LoRA adapters: the reference is the policy with its adapters disabled, not a second model. */
class DpoLoraTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** log π of each sequence under the model of {@code dir}, loaded on its own (no adapters anywhere). */
    static float[] baseLogProbs(Path dir, List<ScoredSequence> seqs) {
        try (LlamaModel model = ModelFolder.load(dir, Device.cpu()); NDManager m = model.newStepManager()) {
            return DpoObjective.sequenceLogProbs(model, seqs, m).toFloatArray();
        }
    }

    @Test
    void theReferenceIsThePolicyWithItsAdaptersDisabled(@TempDir Path tmp) {
        Path base = tmp.resolve("base");
        try (LlamaModel model = DpoTest.tiny(3)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        List<DpoExample> ex;
        try (LlamaTokenizer tok = LlamaTokenizer.load(TestPaths.tokenizer())) {
            ex = new DpoEncoder(ChatEncoder.of(tok), 256).encode(List.of(DpoTest.pair("Say hi.", "Hi!", "Go away."),
                    DpoTest.pair("Name a colour.", "Blue.", "No.")));
        }
        List<ScoredSequence> seqs = new ArrayList<>();
        ex.forEach(e -> {
            seqs.add(e.chosen());
            seqs.add(e.rejected());
        });
        float[] expected = baseLogProbs(base, seqs);
        LoraConfig lora = new LoraConfig(2, 4, 0, List.of(LoraTarget.values()));
        Random r = new Random(5);
        try (LlamaModel policy = ModelFolder.load(base, Device.cpu()); NDManager m = policy.newStepManager()) {
            // Adapters far from zero: a reference computed with them on would differ from the base.
            policy.useAdapters(LoraAdapters.of(policy, lora, (name, shape) -> {
                float[] v = new float[(int) (shape[0] * shape[1])];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.3 * r.nextGaussian());
                }
                return v;
            }));
            float[] adapted = DpoObjective.sequenceLogProbs(policy, seqs, m).toFloatArray();
            assertTrue(Math.abs(adapted[0] - expected[0]) > 1e-2, "the adapters change the policy: " + adapted[0] + " vs " + expected[0]);
            List<DpoExample> withRef = ReferenceLogProbs.attachWithoutAdapters(base, ex, null, 4, policy);
            for (int i = 0; i < ex.size(); i++) {
                assertEquals(expected[2 * i], withRef.get(i).refChosen(), 1e-4, "chosen " + i);
                assertEquals(expected[2 * i + 1], withRef.get(i).refRejected(), 1e-4, "rejected " + i);
            }
            assertTrue(policy.adapters() != null, "the adapters are back on afterwards");
        }
    }

    @Test
    void theStageWritesAnAdapterAgainstTheBaseAndRefusesAnotherReference(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = DpoTest.tiny(6)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        List<Preference> rankings = new ArrayList<>();
        for (String topic : List.of("cats", "tea", "maps", "jazz")) {
            rankings.add(new Preference(0, List.of(ChatMessage.user("Tell me about " + topic + ".")), "Gladly.", "No.", null,
                    null, null, null, topic.equals("jazz") ? "test" : null));
        }
        DpoConfig config = DpoConfig.from(JSON.readTree("{\"lr\": 0.01, \"max-steps\": 3, \"batch-size\": 3, \"max-seq-len\": 128, "
                + "\"lora-r\": 4, \"log-every\": 1}"), "test");
        Path out = tmp.resolve("out");
        DpoResult result = DpoStage.run(base, base, rankings, out, config);
        assertTrue(Files.exists(out.resolve("adapter_config.json")));
        assertEquals("CAUSAL_LM", JSON.readTree(out.resolve("adapter_config.json").toFile()).get("task_type").asText());
        // Step 1 starts at B = 0: policy = reference, so every margin is exactly 0.
        JsonNode first = JSON.readTree(Files.readAllLines(tmp.resolve("out.ckpt/metrics.jsonl")).get(0));
        assertEquals(0.0, first.get("margin").asDouble(), 1e-6, first.toString());
        assertTrue(result.metrics().get("margin") > 0, "training moves the margin: " + result.metrics());

        Path other = tmp.resolve("other");
        try (LlamaModel model = DpoTest.tiny(7)) {
            ModelFolder.save(model, other, TestPaths.tokenizer());
        }
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> DpoStage.run(base, other, rankings, tmp.resolve("out2"), config));
        assertTrue(e.getMessage().contains("with LoRA the reference is the policy"), e.getMessage());
    }
}
