package dev.herd.recipes.synth;

import dev.herd.recipes.cli.SynthCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.Preference;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.scoring.Verifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthDataTest {

    static List<JsonNode> read(Path f) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) {
            out.add(new ObjectMapper().readTree(l));
        }
        return out;
    }

    /** The answer of a word problem, worked out from its text alone. */
    static int solve(String q) {
        List<Integer> n = new ArrayList<>();
        Matcher m = Pattern.compile("\\d+").matcher(q);
        while (m.find()) {
            n.add(Integer.parseInt(m.group()));
        }
        if (q.contains("buys") && q.contains("gives")) {
            return n.get(0) + n.get(1) - n.get(2);
        }
        if (q.contains("buys")) {
            return n.get(0) + n.get(1);
        }
        if (q.contains("gives")) {
            return n.get(0) - n.get(1);
        }
        return n.get(0) * n.get(1);
    }

    /** Every thing the format tasks ask the colour of, written out here independently of TaskFamily. */
    static final java.util.Map<String, String> COLOUR = new java.util.HashMap<>();
    /** The things the human-written data (seed SFT, rankings) may ask about: one of each colour. */
    static final Set<String> SEED_THINGS = Set.of("tomato", "grass", "sky on a clear day", "lemon", "snow", "coal");

    static {
        String[][] byColour = {
                {"red", "tomato", "ripe strawberry", "cherry", "ruby", "fire engine", "ladybird"},
                {"green", "grass", "frog", "lime", "cucumber", "pea", "emerald"},
                {"blue", "sky on a clear day", "sea", "sapphire", "blueberry", "bluebell", "denim"},
                {"yellow", "lemon", "ripe banana", "sunflower", "butter", "canary", "egg yolk"},
                {"white", "snow", "milk", "swan", "salt", "cloud", "sugar"},
                {"black", "coal", "crow", "ink", "tar", "raven", "soot"}};
        for (String[] row : byColour) {
            for (int i = 1; i < row.length; i++) {
                COLOUR.put(row[i], row[0]);
            }
        }
    }

    /** The thing a format question asks the colour of. */
    static String thing(String q) {
        Matcher m = Pattern.compile("What colour is (?:an? |the )?(.+): (\\w+), (\\w+), (\\w+) or (\\w+)\\?$").matcher(q);
        assertTrue(m.find(), q);
        Set<String> options = Set.of(m.group(2), m.group(3), m.group(4), m.group(5));
        assertEquals(4, options.size(), "four different colours offered: " + q);
        assertTrue(options.contains(COLOUR.get(m.group(1))), "the right colour is among the options: " + q);
        return m.group(1);
    }

    /** The right answer to a format question, worked out from its text and the colour table alone. */
    static String formatAnswer(String q) {
        String c = COLOUR.get(thing(q));
        assertTrue(c != null, "a thing of known colour: " + q);
        return q.contains("in upper case,") ? c.toUpperCase() : q.contains("in lower case,") ? c
                : c.substring(0, 1).toUpperCase() + c.substring(1);
    }

    @Test
    void answersAreRightRankingsAreOrderedAndTheEvalSetIsHeldOut(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("data");
        SynthData.write(dir, 7, new SynthData.Counts(300, 100, 200, 80));
        Verifier numeric = new Verifier(Verifier.Kind.NUMERIC);
        Verifier exact = new Verifier(Verifier.Kind.EXACT);
        Set<String> evalQuestions = new HashSet<>();
        List<JsonNode> eval = read(dir.resolve(SynthData.EVAL));
        assertEquals(80, eval.size());
        for (JsonNode e : eval) {
            String q = e.get("messages").get(0).get("content").asText();
            evalQuestions.add(q);
            if (e.get("verifier").asText().equals("numeric")) {
                assertEquals(solve(q), e.get("answer").asInt(), q);
            } else {
                assertEquals(formatAnswer(q), e.get("answer").asText(), q);
            }
        }
        int arithmetic = 0;
        Set<String> formatCases = new HashSet<>();
        for (JsonNode s : read(dir.resolve(SynthData.SFT))) {
            String q = s.get("messages").get(0).get("content").asText();
            String a = s.get("messages").get(1).get("content").asText();
            assertFalse(evalQuestions.contains(q), "held-out question in the SFT data: " + q);
            if (q.contains(" has ")) {
                arithmetic++;
                SamplingPrompt p = new SamplingPrompt("x", q, null, String.valueOf(solve(q)), null, null);
                assertEquals(1.0, numeric.score(p, a), q + " -> " + a);
            } else {
                formatCases.add(q.replaceAll(".* in (\\w+ case),.*", "$1"));
                assertEquals(formatAnswer(q), a, q);
                assertTrue(SEED_THINGS.contains(thing(q)), "the seed data covers only the seed things: " + q);
            }
        }
        assertTrue(arithmetic > 60 && arithmetic < 140, "arithmetic one time in three: " + arithmetic);
        assertEquals(Set.of("upper case", "lower case", "title case"), formatCases, "every letter case is trained on");
        List<Preference> prefs = DatasetFiles.readPreferences(dir.resolve(SynthData.PREFERENCES));
        assertEquals(200, prefs.size());
        int edited = 0;
        for (Preference p : prefs) {
            String q = p.prompt().get(0).content();
            assertFalse(evalQuestions.contains(q));
            boolean isArithmetic = q.contains(" has ");
            Verifier v = isArithmetic ? numeric : exact;
            String answer = isArithmetic ? String.valueOf(solve(q)) : formatAnswer(q);
            if (!isArithmetic) {
                assertTrue(SEED_THINGS.contains(thing(q)), "annotators ranked only seed things: " + q);
            }
            SamplingPrompt sp = new SamplingPrompt("x", q, null, answer, null, null);
            assertEquals(1.0, v.score(sp, p.chosen()), "chosen is right: " + p);
            assertEquals(0.0, v.score(sp, p.rejected()), "rejected is wrong: " + p);
            if (p.edited() != null) {
                edited++;
                assertEquals(1.0, v.score(sp, p.edited()));
            }
            assertTrue(p.strength() != null);
        }
        assertTrue(edited > 40, "arithmetic rankings carry an edit: " + edited);
        List<JsonNode> prompts = read(dir.resolve(SynthData.PROMPTS));
        assertEquals(100, prompts.size());
        // Prompts and the held-out set ask about every thing, the seed ones and the rest.
        Set<String> asked = new HashSet<>();
        for (JsonNode p : prompts) {
            String q = p.get("messages").get(0).get("content").asText();
            if (!q.contains(" has ")) {
                assertEquals(formatAnswer(q), p.get("answer").asText(), q);
                asked.add(thing(q));
            } else {
                // Word problems are checked whole: the worked answer, every sum in it right.
                assertEquals("exact", p.get("verifier").asText(), q);
                String a = p.get("answer").asText();
                assertTrue(a.endsWith("The answer is " + solve(q) + "."), q + " -> " + a);
                Matcher sum = Pattern.compile("(\\d+) ([-+x]) (\\d+) = (\\d+)").matcher(a);
                int sums = 0;
                while (sum.find()) {
                    int x = Integer.parseInt(sum.group(1));
                    int y = Integer.parseInt(sum.group(3));
                    int z = sum.group(2).equals("+") ? x + y : sum.group(2).equals("-") ? x - y : x * y;
                    assertEquals(z, Integer.parseInt(sum.group(4)), a);
                    sums++;
                }
                assertTrue(sums >= 1, a);
            }
        }
        assertTrue(asked.stream().anyMatch(t -> !SEED_THINGS.contains(t)) && asked.stream().anyMatch(SEED_THINGS::contains), asked.toString());
        assertTrue(eval.stream().map(e -> e.get("messages").get(0).get("content").asText()).filter(q -> !q.contains(" has "))
                .anyMatch(q -> !SEED_THINGS.contains(thing(q))), "the held-out set asks about things the seed data does not cover");
        // Same seed, same bytes.
        Path again = tmp.resolve("again");
        SynthData.write(again, 7, new SynthData.Counts(300, 100, 200, 80));
        for (String f : SynthData.files()) {
            assertEquals(Files.readString(dir.resolve(f)), Files.readString(again.resolve(f)), f);
        }
    }

    @Test
    void synthRewritesItsOwnFolderButRefusesOneWithTheUsersFiles(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("data");
        String[] args = {"--out", dir.toString(), "--sft", "5", "--prompts", "5", "--preferences", "5", "--eval", "5"};
        assertEquals(0, CliRun.of(new SynthCommand(), args).code());
        assertEquals(0, CliRun.of(new SynthCommand(), args).code(), "its own folder is rewritten");
        Files.writeString(dir.resolve("my-prompts.jsonl"), "{\"prompt\": \"mine\"}\n");
        CliRun refused = CliRun.of(new SynthCommand(), args);
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains(dir + ": exists and holds my-prompts.jsonl"), refused.err());
        assertEquals("{\"prompt\": \"mine\"}\n", Files.readString(dir.resolve("my-prompts.jsonl")));
        assertTrue(Files.exists(dir.resolve(SynthData.SFT)));
    }
}
