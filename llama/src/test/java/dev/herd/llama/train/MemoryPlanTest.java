package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import org.junit.jupiter.api.Test;

/** The memory plan, against hand-computed sizes. */
class MemoryPlanTest {

    // hidden 64, intermediate 128, 2 layers, 4 heads (2 KV), vocab 128,256, tied.
    static final LlamaConfig TINY = LlamaConfig.of(64, 128, 2, 4, 2, 128256, null, true);

    @Test
    void aRowsSizeIsLogitsPlusAttentionPlusActivations() {
        // T = 2048: logits 6·2048·128256 = 1,576,009,728 floats; per layer attention 4·4·2048² = 67,108,864 and
        // activations 2048·(640 + 512) = 2,359,296 floats; two layers: 138,936,320. Total 1,714,946,048 floats.
        MemoryPlan p = MemoryPlan.of(TINY, 2048, 32, 1, 64L << 30);
        assertEquals(1_714_946_048L * 4, p.bytesPerRow());
        assertEquals(4L * TINY.parameterCount() * 4, p.fixedBytes());
    }

    @Test
    void aBatchOverTheBudgetIsRunAsForwardsThatFit() {
        long perRow = 1_714_946_048L * 4;                      // 6.86 GB
        long budget = 4L * TINY.parameterCount() * 4 + 5 * perRow + perRow / 2;
        MemoryPlan p = MemoryPlan.of(TINY, 2048, 32, 1, budget);
        assertEquals(5, p.examplesPerForward(), "five rows fit, not six");
        assertTrue(p.splits(32));
        MemoryPlan pairs = MemoryPlan.of(TINY, 2048, 32, 2, budget);
        assertEquals(2, pairs.examplesPerForward(), "a pair is two rows: two pairs fit in five rows");
        assertFalse(MemoryPlan.of(TINY, 128, 8, 1, budget).splits(8), "the demo's batches fit whole");
    }

    @Test
    void whenNotEvenOneRowFitsTheErrorSaysWhatToLower() {
        HerdInputException e = assertThrows(HerdInputException.class, () -> MemoryPlan.of(TINY, 2048, 32, 1, 1L << 30));
        assertTrue(e.getMessage().contains("max-seq-len 2048") && e.getMessage().contains("lower --max-seq-len"), e.getMessage());
    }
}
