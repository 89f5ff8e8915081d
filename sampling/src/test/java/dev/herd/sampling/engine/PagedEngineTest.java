package dev.herd.sampling.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.VectorDecoder;
import dev.herd.llama.generate.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PagedEngineTest {

    static final int VOCAB = 200;
    static LlamaModel model;

    @BeforeAll
    static void load() {
        // Larger init than usual so greedy continuations vary instead of repeating one token.
        model = LlamaModel.random(LlamaConfig.of(32, 64, 2, 4, 2, VOCAB, null, false), 11, 0.2, Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The plain reference: re-run the whole sequence for every new token, no cache at all. */
    static int[] greedyFullRecompute(int[] prompt, int maxNew) {
        int[] ids = prompt.clone();
        for (int step = 0; step < maxNew; step++) {
            try (NDManager m = model.newStepManager()) {
                NDArray logits = model.forward(TokenBatch.causal(m, new int[][] {ids}));
                float[] last = logits.get(":, -1, :").toFloatArray();
                int best = 0;
                for (int v = 1; v < last.length; v++) {
                    if (last[v] > last[best]) {
                        best = v;
                    }
                }
                ids = Arrays.copyOf(ids, ids.length + 1);
                ids[ids.length - 1] = best;
            }
        }
        return Arrays.copyOfRange(ids, prompt.length, ids.length);
    }

    static List<int[]> prompts(int n, long seed) {
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = new int[1 + r.nextInt(40)];          // 1..40 tokens: within, at and across block edges
            for (int j = 0; j < p.length; j++) {
                p[j] = r.nextInt(VOCAB);
            }
            out.add(p);
        }
        return out;
    }

    static List<SampleRequest> greedy(List<int[]> prompts, int maxNew, int n) {
        List<SampleRequest> out = new ArrayList<>();
        for (int[] p : prompts) {
            out.add(new SampleRequest(p, n, SamplingParams.greedy(maxNew), Set.of(), List.of()));
        }
        return out;
    }

    static final PagedEngine.Listener QUIET = (i, s) -> {};

    @Test
    void greedyBatchesOf1And7And32MatchAFullRecomputeLoop() {
        List<int[]> prompts = prompts(40, 1);
        int maxNew = 6;
        List<int[]> expected = new ArrayList<>();
        for (int[] p : prompts) {
            expected.add(greedyFullRecompute(p, maxNew));
        }
        for (int batch : new int[] {1, 7, 32}) {
            try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(batch, 16, 400, true), null)) {
                List<List<Completion>> got = engine.run(greedy(prompts, maxNew, 1), QUIET);
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(expected.get(i), got.get(i).get(0).tokens(), "batch " + batch + ", prompt " + i
                            + " of " + prompts.get(i).length + " tokens");
                }
                assertEquals(Math.min(batch, prompts.size()), engine.stats().peakBatch());
                assertEquals(0, engine.pool().usedBlocks(), "every block returns to the pool");
                int drawn = got.stream().mapToInt(c -> c.get(0).tokens().length).sum();
                assertEquals(drawn - prompts.size(), engine.stats().decodedTokens(),
                        "every token but each sample's first (drawn from its prefill) comes from a decode step");
                assertTrue(engine.stats().decodeSeconds() > 0);
                if (batch == 1) {
                    assertEquals(40 * (maxNew - 1), engine.stats().javaSteps(), "a lone row decodes in Java (VectorDecoder)");
                }
            }
        }
        // Some continuations differ from each other: the check is not comparing constant outputs.
        assertTrue(expected.stream().map(Arrays::toString).distinct().count() > 10);
    }

    @Test
    void withTheJavaPathTurnedOffALoneRowDecodesOnLibtorchToTheSameTokens() {
        List<int[]> prompts = prompts(12, 5);
        System.setProperty(VectorDecoder.PROPERTY, "false");
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(1, 16, 400, true), null)) {
            List<List<Completion>> got = engine.run(greedy(prompts, 6, 1), QUIET);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(greedyFullRecompute(prompts.get(i), 6), got.get(i).get(0).tokens(), "prompt " + i);
            }
            assertEquals(0, engine.stats().javaSteps());
        } finally {
            System.clearProperty(VectorDecoder.PROPERTY);
        }
    }

    @Test
    void aBatchsTokensAndLogprobsAreTheSameWithItsLmHeadInJavaAsOnLibtorch() {
        List<int[]> prompts = prompts(8, 21);
        List<SampleRequest> reqs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            SamplingParams p = i % 2 == 0 ? SamplingParams.greedy(6) : new SamplingParams(0.8, 0, 0.9, 6, i);
            reqs.add(new SampleRequest(prompts.get(i), 1, p, Set.of(), List.of(), 3));
        }
        List<List<Completion>> java;
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(8, 16, 400, true), null)) {
            java = engine.run(reqs, QUIET);
            assertTrue(engine.stats().javaHeads() > 0, "the batch's LM head ran in Java");
        }
        System.setProperty(VectorDecoder.PROPERTY, "false");
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(8, 16, 400, true), null)) {
            List<List<Completion>> libtorch = engine.run(reqs, QUIET);
            assertEquals(0, engine.stats().javaHeads());
            for (int i = 0; i < reqs.size(); i++) {
                Completion a = java.get(i).get(0);
                Completion b = libtorch.get(i).get(0);
                assertArrayEquals(b.tokens(), a.tokens(), "request " + i);
                for (int t = 0; t < a.logprobs().size(); t++) {
                    TokenLogprob x = a.logprobs().get(t);
                    TokenLogprob y = b.logprobs().get(t);
                    assertEquals(y.logprob(), x.logprob(), 1e-4, "request " + i + ", token " + t);
                    assertArrayEquals(y.topIds(), x.topIds(), "request " + i + ", token " + t);
                }
            }
        } finally {
            System.clearProperty(VectorDecoder.PROPERTY);
        }
    }

    @Test
    void aRowLeftAloneWithScatteredBlocksStillMatchesAFullRecomputeLoop() {
        // Two rows grow side by side, so their blocks of 4 interleave (A: 1-5, 11, 13, …; B: 6-10, 12, …); once B
        // is done A decodes alone, in Java, over slots that are not one run, which libtorch steps wrote.
        Random r = new Random(21);
        int[] a = r.ints(20, 0, VOCAB).toArray();
        int[] b = r.ints(20, 0, VOCAB).toArray();
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(2, 4, 40, true), null)) {
            List<List<Completion>> got = engine.run(List.of(greedy(List.of(a), 14, 1).get(0), greedy(List.of(b), 3, 1).get(0)), QUIET);
            assertArrayEquals(greedyFullRecompute(a, 14), got.get(0).get(0).tokens());
            assertArrayEquals(greedyFullRecompute(b, 3), got.get(1).get(0).tokens());
            assertEquals(11, engine.stats().javaSteps(), "A's steps after B left");
        }
    }

    @Test
    void thePoolHandsOutItsLowestFreeBlockSoALoneSequenceGrowsInOneRun() {
        BlockPool pool = new BlockPool(6, 4);
        assertEquals(List.of(1, 2, 3), List.of(pool.allocate(), pool.allocate(), pool.allocate()));
        pool.release(2);
        assertEquals(2, pool.allocate(), "a freed block is reused before higher ones");
        assertEquals(4, pool.allocate());
        assertEquals(2, pool.freeBlocks());
    }

    @Test
    void promptsPrefilledInChunksMatchAFullRecomputeLoopWithAndWithoutSharing() {
        // Chunks of 7 tokens: prompts of up to 40 go through in several steps, chunks of several prompts share a
        // forward, and a chunk boundary falls inside and at the edge of 16-token blocks.
        List<int[]> prompts = prompts(12, 4);
        int maxNew = 5;
        for (boolean share : new boolean[] {true, false}) {
            try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(8, 16, 200, share, 7), null)) {
                List<List<Completion>> got = engine.run(greedy(prompts, maxNew, 2), QUIET);
                for (int i = 0; i < prompts.size(); i++) {
                    int[] expected = greedyFullRecompute(prompts.get(i), maxNew);
                    for (Completion c : got.get(i)) {
                        assertArrayEquals(expected, c.tokens(), "share " + share + ", prompt " + i + " of " + prompts.get(i).length);
                    }
                }
                assertEquals(0, engine.pool().usedBlocks(), "every block returns to the pool");
            }
        }
    }

    @Test
    void aLongPromptArrivingIsPrefilledAChunkPerStepWhileRunningSamplesKeepDecoding() {
        int[] shortPrompt = prompts(1, 5).get(0);
        int[] longPrompt = new int[300];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = (i * 31 + 7) % VOCAB;
        }
        List<Integer> shortTokens = new ArrayList<>();
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(4, 16, 100, true, 32), null)) {
            engine.submit(new SampleRequest(shortPrompt, 1, SamplingParams.greedy(40), Set.of(), List.of()),
                    new PagedEngine.RequestCallbacks() {
                        @Override
                        public void onToken(int sample, List<Integer> tokens, TokenLogprob logprob) {
                            shortTokens.add(tokens.get(tokens.size() - 1));
                        }

                        @Override
                        public void onDone(List<Completion> samples) {}
                    });
            engine.step();
            engine.step();
            int[] longFirst = {-1};
            engine.submit(new SampleRequest(longPrompt, 1, SamplingParams.greedy(1), Set.of(), List.of()), samples -> longFirst[0] = samples.get(0).tokens()[0]);
            int steps = 0;
            while (longFirst[0] < 0) {
                long before = engine.stats().prefillTokens();
                int tokensBefore = shortTokens.size();
                engine.step();
                steps++;
                assertTrue(engine.stats().prefillTokens() - before <= 32, "at most one chunk of prompt tokens per step");
                assertEquals(tokensBefore + 1, shortTokens.size(), "the running sample decodes at every step");
            }
            assertEquals(300 / 32 + 1, steps, "the 300-token prompt took ceil(300/32) steps");
            assertEquals(greedyFullRecompute(longPrompt, 1)[0], longFirst[0]);
        }
    }

    @Test
    void samplesOfOnePromptShareItsFullBlocksAndStayCorrectThroughCopyOnWrite() {
        int[] prompt = prompts(1, 2).get(0);
        prompt = Arrays.copyOf(prompt, 37);                 // 2 full blocks of 16 + a partial one
        for (int j = 0; j < prompt.length; j++) {
            prompt[j] = (j * 31 + 7) % VOCAB;
        }
        int[] expected = greedyFullRecompute(prompt, 8);
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(8, 16, 200, true), null)) {
            List<Completion> got = engine.run(greedy(List.of(prompt), 8, 8), QUIET).get(0);
            for (Completion c : got) {
                assertArrayEquals(expected, c.tokens());
            }
            // 2 shared full blocks + 8 private (copied partial) blocks, not 8 × 3.
            assertEquals(2 + 8, engine.stats().peakBlocks());
            assertEquals(37, engine.stats().prefillTokens(), "the prompt was prefilled once");
        }
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(8, 16, 200, false), null)) {
            List<Completion> got = engine.run(greedy(List.of(prompt), 8, 8), QUIET).get(0);
            assertArrayEquals(expected, got.get(7).tokens());
            assertEquals(8 * 3, engine.stats().peakBlocks());
            assertEquals(8 * 37, engine.stats().prefillTokens());
        }
    }

    @Test
    void blockTablesForkReleaseAndCopyOnWrite() {
        BlockPool pool = new BlockPool(10, 4);
        BlockTable a = new BlockTable(pool);
        a.append(6, (f, t) -> { throw new AssertionError("nothing shared yet"); });
        assertEquals(2, pool.usedBlocks());
        BlockTable b = a.fork();
        assertEquals(2, pool.usedBlocks());
        List<int[]> copies = new ArrayList<>();
        int[] slots = b.append(1, (f, t) -> copies.add(new int[] {f, t}));
        assertEquals(1, copies.size(), "the shared partial block is copied before the write");
        assertEquals(a.blocks().get(1), copies.get(0)[0]);
        assertEquals(b.blocks().get(1), copies.get(0)[1]);
        assertEquals(b.blocks().get(1) * 4 + 2, slots[0]);
        assertEquals(a.blocks().get(0), b.blocks().get(0), "the full block stays shared");
        assertEquals(3, pool.usedBlocks());
        a.release();
        b.release();
        assertEquals(0, pool.usedBlocks());
    }

    @Test
    void aSeededSampleIsTheSameWhateverElseIsInTheBatch() {
        SamplingParams p = new SamplingParams(1.0, 50, 0.95, 10, 1234);
        int[] prompt = prompts(1, 3).get(0);
        SampleRequest alone = new SampleRequest(prompt, 3, p, Set.of(), List.of());
        List<SampleRequest> crowd = new ArrayList<>(greedy(prompts(9, 4), 10, 2));
        crowd.add(4, alone);
        try (PagedEngine e1 = new PagedEngine(model, new PagedEngine.Options(1, 16, 100, true), null);
             PagedEngine e2 = new PagedEngine(model, new PagedEngine.Options(16, 16, 400, true), null)) {
            List<Completion> a = e1.run(List.of(alone), QUIET).get(0);
            List<Completion> b = e2.run(crowd, QUIET).get(4);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(a.get(i).tokens(), b.get(i).tokens(), "sample " + i);
            }
            assertNotEquals(Arrays.toString(a.get(0).tokens()), Arrays.toString(a.get(1).tokens()),
                    "samples of one prompt draw from different streams");
        }
    }

    @Test
    void aSmallPoolMakesRequestsWaitNotFailAndAnImpossibleOneIsAClearError() {
        List<int[]> prompts = prompts(12, 5);
        List<int[]> expected = new ArrayList<>();
        for (int[] p : prompts) {
            expected.add(greedyFullRecompute(p, 5));
        }
        // 8 blocks of 16 hold at most a few sequences at once: the rest must queue.
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(32, 16, 8, true), null)) {
            List<List<Completion>> got = engine.run(greedy(prompts, 5, 1), QUIET);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i).get(0).tokens());
            }
            assertTrue(engine.stats().peakBatch() < 12);
            assertTrue(engine.stats().peakBlocks() <= 8);
        }
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(4, 16, 2, true), null)) {
            HerdInputException e = assertThrows(HerdInputException.class,
                    () -> engine.run(greedy(List.of(new int[40]), 5, 1), QUIET));
            assertTrue(e.getMessage().contains("raise --kv-blocks"), e.getMessage());
        }
    }

    @Test
    void stopTokensEndASampleAndTheBudgetCapsIt() {
        int[] prompt = prompts(1, 6).get(0);
        int[] free = greedyFullRecompute(prompt, 6);
        int stopAt = free[2];
        try (PagedEngine engine = new PagedEngine(model, new PagedEngine.Options(4, 16, 50, true), null)) {
            Completion c = engine.run(List.of(new SampleRequest(prompt, 1, SamplingParams.greedy(6), Set.of(stopAt), List.of())),
                    QUIET).get(0).get(0);
            int firstStop = 0;
            while (free[firstStop] != stopAt) {
                firstStop++;
            }
            assertArrayEquals(Arrays.copyOf(free, firstStop + 1), c.tokens());
            assertEquals("stop", c.finishReason());
            Completion l = engine.run(List.of(new SampleRequest(prompt, 1, SamplingParams.greedy(3), Set.of(), List.of())),
                    QUIET).get(0).get(0);
            assertEquals(3, l.tokens().length);
            assertEquals("length", l.finishReason());
        }
    }
}
