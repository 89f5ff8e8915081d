package dev.herd.sampling.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herd.llama.TestPaths;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StopConditionTest {

    static List<Integer> ids(LlamaTokenizer tok, String text) {
        List<Integer> out = new ArrayList<>();
        for (int id : tok.encode(text, false, false)) {
            out.add(id);
        }
        return out;
    }

    @Test
    void stopStringsCutTheTextStopTokensAreDroppedAndTheBudgetEndsWithLength() {
        try (LlamaTokenizer tok = LlamaTokenizer.load(TestPaths.tokenizer())) {
            int eot = tok.tokenId("<|eot_id|>").orElseThrow();
            StopCondition c = new StopCondition(Set.of(eot), List.of("\n\n", "Q:"), 50, ids -> tok.decode(ids, true));
            assertNull(c.check(ids(tok, "The answer is 4.")), "nothing to stop on yet");
            Completion s = c.check(ids(tok, "The answer is 4.\n\nQ: next"));
            assertEquals("The answer is 4.", s.text());
            assertEquals("stop", s.finishReason());
            assertEquals("4 + 4 = 8. ", c.check(ids(tok, "4 + 4 = 8. Q: and")).text(), "the earliest stop string wins");
            List<Integer> withEot = ids(tok, "Done");
            withEot.add(eot);
            Completion e = c.check(withEot);
            assertEquals("Done", e.text());
            assertEquals(withEot.size(), e.tokens().length, "the stop token stays in the tokens, not the text");
            StopCondition budget = new StopCondition(Set.of(eot), List.of(), 3, ids -> tok.decode(ids, true));
            Completion l = budget.check(ids(tok, "one two three"));
            assertEquals("length", l.finishReason());
            assertEquals("one two three", l.text());
        }
    }
}
