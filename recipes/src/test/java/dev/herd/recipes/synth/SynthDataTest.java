package dev.herd.recipes.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.datasets.DatasetFiles;
import dev.herd.datasets.Preference;
import dev.herd.llama.cli.CliRun;
import dev.herd.sampling.SamplingPrompt;
import dev.herd.sampling.Verifier;
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
                String a = e.get("answer").asText();
                String want = q.contains("in upper case,") ? a.toUpperCase() : q.contains("in lower case,") ? a.toLowerCase()
                        : a.substring(0, 1).toUpperCase() + a.substring(1).toLowerCase();
                assertEquals(want, a, q);
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
                assertTrue(a.matches("[A-Za-z]+"), "one word: " + a);
            }
        }
        assertTrue(arithmetic > 100 && arithmetic < 200, "both families present: " + arithmetic);
        assertEquals(Set.of("upper case", "lower case", "title case"), formatCases, "every letter case is trained on");
        List<Preference> prefs = DatasetFiles.readPreferences(dir.resolve(SynthData.PREFERENCES));
        assertEquals(200, prefs.size());
        int edited = 0;
        for (Preference p : prefs) {
            String q = p.prompt().get(0).content();
            assertFalse(evalQuestions.contains(q));
            boolean isArithmetic = q.contains(" has ");
            Verifier v = isArithmetic ? numeric : exact;
            String answer = isArithmetic ? String.valueOf(solve(q)) : p.chosen();
            SamplingPrompt sp = new SamplingPrompt("x", q, null, answer, null, null);
            assertEquals(1.0, v.score(sp, p.chosen()), "chosen is right: " + p);
            assertEquals(0.0, v.score(sp, p.rejected()), "rejected is wrong: " + p);
            if (p.edited() != null) {
                edited++;
                assertEquals(1.0, v.score(sp, p.edited()));
            }
            assertTrue(p.strength() != null);
        }
        assertTrue(edited > 70, "arithmetic rankings carry an edit: " + edited);
        assertEquals(100, read(dir.resolve(SynthData.PROMPTS)).size());
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
