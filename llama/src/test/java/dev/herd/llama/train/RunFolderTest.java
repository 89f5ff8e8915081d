package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code OUT.ckpt/run.json}: a re-run resumes only the run it started, whatever the trainer. */
class RunFolderTest {

    @TempDir
    Path tmp;

    static TrainingConfig config(long seed, int saveEvery) {
        return new TrainingConfig(1e-2, 2, 0, 2, 2, 1, 0.1, 64, seed, "cosine", 0.1, 1.0, 0.9, 0.999, 1e-8, saveEvery, 1);
    }

    static RunRecord record(TrainingConfig c, List<int[]> data) {
        return RunRecord.of("test", c).setting("beta", 0.1).data(data, (e, d) -> d.ints(e));
    }

    @Test
    void aRerunWithTheSameInputsIsAcceptedAndOnlyLoggingSettingsMayChange() throws Exception {
        Path out = tmp.resolve("m");
        List<int[]> data = List.of(new int[] {1, 2, 3}, new int[] {4, 5});
        RunFolder first = RunFolder.start(out, record(config(5, 2), data));
        assertEquals(tmp.resolve("m.ckpt"), first.dir());
        assertTrue(Files.exists(tmp.resolve("m.ckpt/run.json")));
        RunFolder.start(out, record(config(5, 2), List.of(new int[] {1, 2, 3}, new int[] {4, 5})));
        RunFolder.start(out, record(config(5, 7), data));
        assertEquals(List.of("m.ckpt"), Files.list(tmp).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void aRerunWithOtherSettingsOrDataIsRefusedNamingWhatChanged() throws Exception {
        Path out = tmp.resolve("m");
        List<int[]> data = List.of(new int[] {1, 2, 3}, new int[] {4, 5});
        RunFolder.start(out, record(config(5, 0), data));
        String saved = Files.readString(tmp.resolve("m.ckpt/run.json"));

        HerdInputException seed = assertThrows(HerdInputException.class, () -> RunFolder.start(out, record(config(6, 0), data)));
        assertTrue(seed.getMessage().startsWith(tmp.resolve("m.ckpt") + ": this run was started with --seed 5, not 6;"),
                seed.getMessage());

        HerdInputException beta = assertThrows(HerdInputException.class,
                () -> RunFolder.start(out, RunRecord.of("test", config(5, 0)).setting("beta", 0.2).data(data, (e, d) -> d.ints(e))));
        assertTrue(beta.getMessage().contains("--beta 0.1, not 0.2"), beta.getMessage());

        HerdInputException rows = assertThrows(HerdInputException.class,
                () -> RunFolder.start(out, record(config(5, 0), List.of(new int[] {1, 2}, new int[] {3, 4, 5}))));
        assertTrue(rows.getMessage().contains("this run was started from other training data (2 examples, sha256 "), rows.getMessage());
        assertTrue(rows.getMessage().endsWith("write to a new --out or remove " + tmp.resolve("m.ckpt")), rows.getMessage());

        HerdInputException trainer = assertThrows(HerdInputException.class,
                () -> RunFolder.start(out, RunRecord.of("sft", config(5, 0)).setting("beta", 0.1).data(data, (e, d) -> d.ints(e))));
        assertTrue(trainer.getMessage().contains("started by herd test, not herd sft"), trainer.getMessage());
        assertEquals(saved, Files.readString(tmp.resolve("m.ckpt/run.json")), "the record is left as it was");
    }

    @Test
    void aRunFolderWithoutARecordIsRefusedUnlessEmpty() throws Exception {
        List<int[]> data = List.<int[]>of(new int[] {1});
        Files.createDirectories(tmp.resolve("old.ckpt/step-00000004"));
        Files.writeString(tmp.resolve("old.ckpt/step-00000004/state.json"), "{\"step\": 4}");
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> RunFolder.start(tmp.resolve("old"), record(config(5, 0), data)));
        assertTrue(e.getMessage().contains("old.ckpt: holds step-00000004 but no run.json"), e.getMessage());
        assertEquals(List.of("step-00000004"), Files.list(tmp.resolve("old.ckpt")).map(p -> p.getFileName().toString()).toList());

        Files.createDirectories(tmp.resolve("empty.ckpt"));
        RunFolder.start(tmp.resolve("empty"), record(config(5, 0), data));
        assertTrue(Files.exists(tmp.resolve("empty.ckpt/run.json")));
    }
}
