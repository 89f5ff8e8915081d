package dev.herd.recipes.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.ModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes the demo's data from a seed, in the formats the stages read: seed SFT conversations, sampling prompts
 * with answers, simulated annotator rankings (edited &gt; chosen &gt; rejected with a strength) and a held-out
 * evaluation set. Held-out questions never appear in the other files. The human-written files (seed SFT,
 * rankings) cover only part of the family ({@link TaskFamily#nextSeed()}); prompts and the held-out set cover
 * all of it.
 */
public final class SynthData {

    /** How many of each to write. */
    public record Counts(int sft, int prompts, int preferences, int eval) {}

    public static final String SFT = "seed-sft.jsonl";
    public static final String PROMPTS = "prompts.jsonl";
    public static final String PREFERENCES = "preferences.jsonl";
    public static final String EVAL = "eval.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SynthData() {}

    public static void write(Path dir, long seed, Counts counts) {
        ModelFolder.checkReplaceable(dir);
        TaskFamily family = new TaskFamily(seed);
        Set<String> heldOut = new HashSet<>();
        StringBuilder eval = new StringBuilder();
        for (int i = 0; i < counts.eval(); i++) {
            SynthTask t = fresh(family::next, heldOut, Set.of());
            heldOut.add(t.question());
            ObjectNode o = JSON.createObjectNode().put("id", String.format("eval-%05d", i));
            o.putArray("messages").addObject().put("role", "user").put("content", t.question());
            o.put("answer", t.answer()).put("verifier", t.verifier()).put("topic", t.family()).put("difficulty", t.steps());
            // The longest reference is about 30 tokens; a model that rambles is cut off, not waited for.
            o.put("max_new_tokens", 48);
            eval.append(o).append('\n');
        }
        StringBuilder sft = new StringBuilder();
        for (int i = 0; i < counts.sft(); i++) {
            SynthTask t = fresh(family::nextSeed, Set.of(), heldOut);
            ObjectNode o = JSON.createObjectNode();
            var msgs = o.putArray("messages");
            msgs.addObject().put("role", "user").put("content", t.question());
            msgs.addObject().put("role", "assistant").put("content", t.reference());
            o.put("origin", "human").put("source", "synth").put("topic", t.family()).put("difficulty", String.valueOf(t.steps()));
            sft.append(o).append('\n');
        }
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < counts.prompts(); i++) {
            SynthTask t = fresh(family::next, Set.of(), heldOut);
            ObjectNode o = JSON.createObjectNode().put("id", String.format("p-%05d", i));
            o.putArray("messages").addObject().put("role", "user").put("content", t.question());
            // Sampling checks a word problem's whole worked answer, not only its last number: a right number
            // after a wrong sum is a lucky guess, and kept as SFT data it would teach wrong sums.
            boolean worked = t.family().equals("arithmetic");
            o.put("answer", worked ? t.reference() : t.answer()).put("verifier", worked ? "exact" : t.verifier()).put("topic", t.family());
            prompts.append(o).append('\n');
        }
        StringBuilder prefs = new StringBuilder();
        for (int i = 0; i < counts.preferences(); i++) {
            SynthTask t = fresh(family::nextSeed, Set.of(), heldOut);
            String[] wrong = family.wrong(t);
            String rough = family.rough(t);
            ObjectNode o = JSON.createObjectNode().put("prompt", t.question());
            if (rough != null) {
                o.put("edited", t.reference()).put("chosen", rough);
            } else {
                o.put("chosen", t.reference());
            }
            o.put("rejected", wrong[0]).put("strength", wrong[1]).put("source", "synth-annotator");
            prefs.append(o).append('\n');
        }
        ModelFolder.writeAtomically(dir, tmp -> {
            Files.writeString(tmp.resolve(SFT), sft);
            Files.writeString(tmp.resolve(PROMPTS), prompts);
            Files.writeString(tmp.resolve(PREFERENCES), prefs);
            Files.writeString(tmp.resolve(EVAL), eval);
        });
    }

    /** A task whose question is not in {@code avoid} (nor, when given, in {@code seen}). */
    private static SynthTask fresh(java.util.function.Supplier<SynthTask> family, Set<String> seen, Set<String> avoid) {
        for (int tries = 0; tries < 10_000; tries++) {
            SynthTask t = family.get();
            if (!avoid.contains(t.question()) && !seen.contains(t.question())) {
                return t;
            }
        }
        throw new IllegalStateException("the task family has too few distinct questions for these counts");
    }

    /** The four file names, for listings. */
    public static List<String> files() {
        return List.of(SFT, PROMPTS, PREFERENCES, EVAL);
    }
}
