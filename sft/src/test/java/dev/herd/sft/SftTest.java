package dev.herd.sft;

import dev.herd.sft.cli.SftCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.herd.datasets.SftExample;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.cli.CliRun;
import dev.herd.common.cli.HerdCommandLine;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.train.TrainingConfig;
import dev.herd.llama.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftTest {

    static LlamaTokenizer tok;
    static ChatEncoder chat;

    @BeforeAll
    static void load() {
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        chat = ChatEncoder.of(tok);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static SftExample sum(int a, int b) {
        return SftExample.of(List.of(ChatMessage.user("What is " + a + " + " + b + "?"), ChatMessage.assistant(String.valueOf(a + b))), "test");
    }

    static LlamaModel tiny(long seed) {
        return LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, 128256, null, true), seed, 0.05, Device.cpu());
    }

    @Test
    void lossCountsOnlyAssistantTokensAndTheEndOfTurn() {
        SftExample e = SftExample.of(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello there"),
                ChatMessage.user("Bye"), ChatMessage.assistant("Goodbye")), "test");
        TrainExample t = new SftEncoder(chat, 512, SftEncoder.Overlong.TRUNCATE).encode(e);
        List<Integer> targets = new ArrayList<>();
        for (int i = 0; i < t.length(); i++) {
            if (t.loss()[i]) {
                targets.add(t.target()[i]);
            }
        }
        assertEquals("Hello there<|eot_id|>Goodbye<|eot_id|>", tok.decode(targets.stream().mapToInt(Integer::intValue).toArray(), false));
    }

    @Test
    void overlongConversationsAreTruncatedOrDroppedAndCounted() {
        SftExample longOne = SftExample.of(List.of(ChatMessage.user("word ".repeat(50)), ChatMessage.assistant("ok")), "test");
        SftEncoder drop = new SftEncoder(chat, 20, SftEncoder.Overlong.DROP);
        assertEquals(1, drop.encode(List.of(longOne, sum(1, 2))).size());
        assertEquals(1, drop.dropped());
        SftEncoder trunc = new SftEncoder(chat, 20, SftEncoder.Overlong.TRUNCATE);
        // Truncated to 20 tokens the answer is gone: nothing left to learn, so it is dropped too.
        assertEquals(1, trunc.encode(List.of(longOne, sum(1, 2))).size());
        assertEquals(1, trunc.truncated());
    }

    @Test
    void packedRowsGiveEachExampleTheSameLossAsUnpacked() {
        List<TrainExample> ex = new SftEncoder(chat, 512, SftEncoder.Overlong.TRUNCATE)
                .encode(List.of(sum(1, 2), sum(13, 29), SftExample.of(List.of(ChatMessage.system("Be terse."),
                        ChatMessage.user("Name a colour."), ChatMessage.assistant("Blue.")), "test")));
        try (LlamaModel model = tiny(3); NDManager m = model.newStepManager()) {
            SftObjective obj = new SftObjective(model);
            double packed = obj.loss(PackedRow.pack(ex, 512), m).sum().getFloat();
            assertEquals(1, PackedRow.pack(ex, 512).size(), "all three share one row");
            double separate = 0;
            for (TrainExample e : ex) {
                separate += obj.loss(List.of(new PackedRow(List.of(e))), m).sum().getFloat();
            }
            assertEquals(separate, packed, 1e-4 * Math.max(1, Math.abs(separate)));
        }
    }

    static Map<String, float[]> trainOneStep(int batch, int accum, List<PackedRow> rows) {
        TrainingConfig c = new TrainingConfig(1.0, 1, 1, batch, accum, 0, 0, 512, 1, "constant", 0, 0, 0.9, 0.999, 1.0, 0, 1);
        try (LlamaModel model = tiny(4)) {
            model.requireGradients(true);
            new TrainingLoop<>(c, model.newStepManager(), model.parameters(), rows, new SftObjective(model)).run();
            Map<String, float[]> out = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        }
    }

    @Test
    void accumulationGivesTheSameUpdateAsOneBigBatch() {
        // Rows of different target-token counts: a per-micro-batch mean would weigh them wrongly.
        List<TrainExample> ex = new SftEncoder(chat, 512, SftEncoder.Overlong.TRUNCATE).encode(List.of(sum(1, 2),
                SftExample.of(List.of(ChatMessage.user("Spell it"), ChatMessage.assistant("one two three four five six")), "t"),
                sum(40, 2), sum(7, 7)));
        List<PackedRow> rows = PackedRow.unpacked(ex);
        Map<String, float[]> big = trainOneStep(4, 1, rows);
        Map<String, float[]> acc = trainOneStep(1, 4, rows);
        for (String k : big.keySet()) {
            float[] a = big.get(k);
            float[] b = acc.get(k);
            for (int i = 0; i < a.length; i += 97) {
                assertEquals(a[i], b[i], 1e-6, k + "[" + i + "]");
            }
        }
    }

    @Test
    void sftCommandWritesAModelThatLoadsAndResumes(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = tiny(5)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        Path data = tmp.resolve("sft.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            sb.append("{\"messages\": [{\"role\": \"user\", \"content\": \"What is ").append(i).append(" + 1?\"}, ")
                    .append("{\"role\": \"assistant\", \"content\": \"").append(i + 1).append("\"}]}\n");
        }
        Files.writeString(data, sb.toString());
        Path out = tmp.resolve("out");
        String[] args = {"--base", base.toString(), "--data", data.toString(), "--out", out.toString(), "--lr", "1e-3",
            "--max-steps", "3", "--batch-size", "2", "--max-seq-len", "64", "--eval-fraction", "0.2"};
        assertEquals(0, HerdCommandLine.run(new SftCommand(), args));
        try (LlamaModel m = ModelFolder.load(out, Device.cpu())) {
            assertEquals(128256, m.config().vocabSize());
        }
        assertTrue(Files.exists(out.resolve("tokenizer.json")) && Files.exists(out.resolve("train_metrics.jsonl")));
        assertTrue(Files.exists(tmp.resolve("out.ckpt/step-00000003/state.json")));
        // Running the same command again finds the finished checkpoint and does no more steps.
        long before = Files.readAllLines(tmp.resolve("out.ckpt/metrics.jsonl")).size();
        assertEquals(0, HerdCommandLine.run(new SftCommand(), args));
        assertEquals(before, Files.readAllLines(tmp.resolve("out.ckpt/metrics.jsonl")).size());
        // Bad data is one line naming the file and line.
        Files.writeString(data, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n");
        assertEquals(2, HerdCommandLine.run(new SftCommand(), args));
    }

    static String sumsData(int n, int offset) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"messages\": [{\"role\": \"user\", \"content\": \"What is ").append(i).append(" + 1?\"}, ")
                    .append("{\"role\": \"assistant\", \"content\": \"").append(i + offset).append("\"}]}\n");
        }
        return sb.toString();
    }

    static String sha256(Path dir) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(Files.readAllBytes(dir.resolve("model.safetensors")));
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    @Test
    void aRerunAfterTheDataOrTheBaseChangedIsRefusedNotPassedOffAsTheOldModel(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = tiny(5)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        Path data = tmp.resolve("sft.jsonl");
        Files.writeString(data, sumsData(8, 1));
        Path out = tmp.resolve("out");
        String[] args = {"--base", base.toString(), "--data", data.toString(), "--out", out.toString(), "--lr", "1e-3",
            "--max-steps", "2", "--batch-size", "2", "--max-seq-len", "64", "--eval-fraction", "0"};
        assertEquals(0, CliRun.of(new SftCommand(), args).code());
        String model = sha256(out);

        // Other answers in the data: the finished run's checkpoint is not this data's model.
        Files.writeString(data, sumsData(8, 2));
        CliRun data2 = CliRun.of(new SftCommand(), args);
        assertEquals(2, data2.code(), data2.out() + data2.err());
        assertTrue(data2.err().contains(tmp.resolve("out.ckpt") + ": this run was started from other training data"), data2.err());
        assertEquals(model, sha256(out), "the old model is left, not rewritten or reported as trained");

        // Back to the first data but another base model in the same folder.
        Files.writeString(data, sumsData(8, 1));
        try (LlamaModel other = tiny(6)) {
            ModelFolder.save(other, base, TestPaths.tokenizer());
        }
        CliRun base2 = CliRun.of(new SftCommand(), args);
        assertEquals(2, base2.code(), base2.out() + base2.err());
        assertTrue(base2.err().contains("this run was started from another base model (" + base.toAbsolutePath()), base2.err());

        // The same inputs again (the same seed writes the same base): resumed at its last checkpoint, as before.
        try (LlamaModel same = tiny(5)) {
            ModelFolder.save(same, base, TestPaths.tokenizer());
        }
        CliRun again = CliRun.of(new SftCommand(), args);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("training had already finished"), again.out());
        assertEquals(model, sha256(out));
    }

    @Test
    void anOutFolderWithTheUsersFilesIsRefusedBeforeTraining(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        try (LlamaModel model = tiny(5)) {
            ModelFolder.save(model, base, TestPaths.tokenizer());
        }
        Path data = tmp.resolve("sft.jsonl");
        Files.writeString(data, sumsData(4, 1));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "hi\n");
        CliRun run = CliRun.of(new SftCommand(), "--base", base.toString(), "--data", data.toString(), "--out", out.toString(),
                "--max-steps", "1", "--max-seq-len", "64");
        assertEquals(2, run.code(), run.out() + run.err());
        assertTrue(run.err().contains(out + ": exists and holds keep.txt, which Herd did not write"), run.err());
        assertEquals("hi\n", Files.readString(out.resolve("keep.txt")));
        assertTrue(!Files.exists(tmp.resolve("out.ckpt")), "refused before the run folder was made");
    }
}
