package dev.herd.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.train.MemoryPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference pass runs in batches of the batch size that fit the memory budget, its long rows attending in blocks
 * of queries, and neither changes a value.
 */
class ReferenceLogProbsTest {

    static LlamaTokenizer tok;
    static List<DpoExample> examples;

    @BeforeAll
    static void load() {
        tok = LlamaTokenizer.load(TestPaths.tokenizer());
        List<PreferencePair> pairs = new ArrayList<>();
        String[] answers = {"Yes.", "No, not today, thank you.", "Perhaps later, once the rain has stopped and the roads are dry.",
                "Blue.", "A long answer that goes on and on about the colour of the sky at dusk over the sea.", "Fine."};
        for (int i = 0; i < answers.length; i++) {
            pairs.add(new PreferencePair(0, List.of(ChatMessage.user("Question " + "number ".repeat(i) + i + "?")),
                    answers[i], answers[(i + 1) % answers.length], PairKind.CHOSEN_REJECTED, null));
        }
        // One pair longer than the pass's attention block, so that its rows attend in blocks of queries.
        pairs.add(new PreferencePair(0, List.of(ChatMessage.user("Tell me a long story.")),
                "Once upon a time, a river ran north. ".repeat(40), "No.", PairKind.CHOSEN_REJECTED, null));
        examples = new DpoEncoder(ChatEncoder.of(tok), 512).encode(pairs);
        assertEquals(pairs.size(), examples.size());
        assertTrue(examples.get(examples.size() - 1).chosen().length() > ReferenceLogProbs.QUERY_BLOCK);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static List<ScoredSequence> sequences() {
        List<ScoredSequence> out = new ArrayList<>();
        examples.forEach(e -> {
            out.add(e.chosen());
            out.add(e.rejected());
        });
        return out;
    }

    /** Bytes that let exactly {@code rows} rows of {@code tokens} tokens into one forward. */
    static long budgetFor(int rows, int tokens) {
        MemoryPlan one = MemoryPlan.of(DpoTest.CONFIG, tokens, 1, 1, Long.MAX_VALUE / 4);
        return one.fixedBytes() + rows * one.bytesPerRow() + one.bytesPerRow() / 2;
    }

    @Test
    void withinTheBudgetTheValuesEqualOneSequenceAtATime(@TempDir Path tmp) throws Exception {
        Path refDir = tmp.resolve("ref");
        try (LlamaModel model = DpoTest.tiny(4)) {
            ModelFolder.save(model, refDir, TestPaths.tokenizer());
        }
        int longest = sequences().stream().mapToInt(ScoredSequence::length).max().orElseThrow();
        List<DpoExample> whole = ReferenceLogProbs.attach(refDir, examples, null, 8, Device.cpu(), Long.MAX_VALUE / 4);
        List<DpoExample> split = ReferenceLogProbs.attach(refDir, examples, null, 8, Device.cpu(), budgetFor(2, longest));
        try (LlamaModel model = ModelFolder.load(refDir, Device.cpu())) {
            for (int i = 0; i < examples.size(); i++) {
                double chosen = alone(model, examples.get(i).chosen());
                double rejected = alone(model, examples.get(i).rejected());
                assertEquals(chosen, whole.get(i).refChosen(), tolerance(chosen), "pair " + i + " chosen, batches of 8");
                assertEquals(rejected, whole.get(i).refRejected(), tolerance(rejected), "pair " + i + " rejected, batches of 8");
                assertEquals(chosen, split.get(i).refChosen(), tolerance(chosen), "pair " + i + " chosen, forwards of 2");
                assertEquals(rejected, split.get(i).refRejected(), tolerance(rejected), "pair " + i + " rejected, forwards of 2");
            }
        }
    }

    /** 1e-5, or a few float ulps for sums large enough that 1e-5 is below float resolution (ulp(164) = 1.5e-5). */
    private static double tolerance(double v) {
        return Math.max(1e-5, 4 * Math.ulp((float) v));
    }

    private static double alone(LlamaModel model, ScoredSequence s) {
        try (NDManager m = model.newStepManager()) {
            return DpoObjective.sequenceLogProbs(model, List.of(s), m).getFloat(0);
        }
    }

    @Test
    void forwardsHoldTheBatchSizeOrWhatTheBudgetAllowsLongestFirst() {
        List<ScoredSequence> seqs = sequences();
        List<ScoredSequence> longestFirst = new ArrayList<>(seqs);
        longestFirst.sort(Comparator.comparingInt(ScoredSequence::length).reversed());
        int longest = longestFirst.get(0).length();

        // A budget that is no limit: consecutive batches of the batch size, as the pass always ran.
        List<List<ScoredSequence>> plain = ReferenceLogProbs.forwards(seqs, 5, DpoTest.CONFIG, Long.MAX_VALUE / 4);
        assertEquals(List.of(5, 5, 4), plain.stream().map(List::size).toList());
        assertEquals(longestFirst, plain.stream().flatMap(List::stream).toList());

        // Room for 2 rows of the longest length: forwards of 2 while rows are that long, never more than the batch size.
        long budget = budgetFor(2, longest);
        List<List<ScoredSequence>> fit = ReferenceLogProbs.forwards(seqs, 5, DpoTest.CONFIG, budget);
        assertEquals(2, fit.get(0).size());
        Set<ScoredSequence> seen = new HashSet<>();
        for (List<ScoredSequence> f : fit) {
            assertTrue(f.size() <= 5);
            MemoryPlan one = MemoryPlan.of(DpoTest.CONFIG, f.get(0).length(), 1, 1, budget);
            assertTrue(one.fixedBytes() + f.size() * one.bytesPerRow() <= budget, "a forward of " + f.size() + " fits");
            assertTrue(f.stream().allMatch(s -> s.length() <= f.get(0).length()), "the first row is the longest");
            seen.addAll(f);
        }
        assertEquals(new HashSet<>(seqs), seen);
        assertEquals(longestFirst, fit.stream().flatMap(List::stream).toList());

        // Not even one row: refused before any work, naming the setting.
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> ReferenceLogProbs.forwards(seqs, 5, DpoTest.CONFIG, budgetFor(0, longest)));
        assertTrue(e.getMessage().contains("max-seq-len"), e.getMessage());
    }
}
