package dev.herd.llama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void warmupThenCosineToFloor() {
        LrSchedule s = new LrSchedule(1.0, 10, 110, "cosine", 0.1);
        assertEquals(0.1, s.at(1), 1e-12);
        assertEquals(1.0, s.at(10), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5, s.at(60), 1e-12);          // halfway: cos(π/2) = 0
        assertEquals(0.1, s.at(110), 1e-12);
    }

    @Test
    void linearAndConstant() {
        assertEquals(0.5, new LrSchedule(1.0, 0, 100, "linear", 0).at(50), 1e-12);
        assertEquals(2e-5, new LrSchedule(2e-5, 0, 100, "constant", 0).at(77), 1e-12);
    }
}
