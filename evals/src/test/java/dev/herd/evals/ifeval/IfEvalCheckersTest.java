package dev.herd.evals.ifeval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One hand-written response that follows and one that violates each of the 25 instruction types, judged strictly
 * and loosely. Each violating response also fails loosely (none of the eight variants rescues it); each following
 * one passes both.
 */
class IfEvalCheckersTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A one-instruction prompt. */
    static IfEvalPrompt prompt(String id, String kwargs) throws Exception {
        ObjectNode row = JSON.createObjectNode();
        row.putArray("instruction_id_list").add(id);
        row.putArray("kwargs").add(JSON.readTree(kwargs));
        return IfEvalPrompt.of("test", row);
    }

    static final String ENGLISH = "the quick brown fox jumps over the lazy dog and then it runs into the forest to find "
            + "some food for the evening while the sun goes down behind the hills";

    /**
     * All-capital English the detector recognises. Like the reference's langdetect (same n-gram method, same
     * profiles), it ignores all but the first letter of a word in capitals, so some all-capital English is not
     * detected as English ("THE QUICK BROWN FOX ..." reads as German): the reference fails such responses too.
     */
    static final String CAPITALS = "THANK YOU SO MUCH FOR YOUR HELP WITH THIS PROJECT. WE REALLY APPRECIATE IT.";

    static List<Arguments> cases() {
        return List.of(
                Arguments.of("change_case:capital_word_frequency", "{\"capital_relation\": \"at least\", \"capital_frequency\": 3}",
                        "We met NASA, the FBI and the WELL-KNOWN team.", "We met Nasa and the Fbi today."),
                Arguments.of("change_case:capital_word_frequency", "{\"capital_relation\": \"less than\", \"capital_frequency\": 2}",
                        "Only ONE word is shouted here.", "BOTH words ARE shouted."),
                Arguments.of("change_case:english_capital", "{}", CAPITALS, CAPITALS + " but not this"),
                Arguments.of("change_case:english_lowercase", "{}", ENGLISH, "The " + ENGLISH),
                Arguments.of("combination:repeat_prompt", "{\"prompt_to_repeat\": \"Write a poem about cats.\"}",
                        "write a poem about cats.\nCats sleep all day.", "Here is a poem about cats.\nCats sleep all day."),
                Arguments.of("combination:two_responses", "{}", "Paris is the capital.\n******\nThe capital is Paris.",
                        "Paris is the capital.\n******\nParis is the capital."),
                Arguments.of("detectable_content:number_placeholders", "{\"num_placeholders\": 2}",
                        "Dear [name], your order ships to [address].", "Dear [name], your order ships soon."),
                Arguments.of("detectable_content:postscript", "{\"postscript_marker\": \"P.S.\"}",
                        "See you soon.\n\np.s. bring snacks", "See you soon. PS bring snacks"),
                Arguments.of("detectable_content:postscript", "{\"postscript_marker\": \"P.P.S\"}",
                        "See you soon.\nP.S. one\nP.P.S two", "See you soon.\nP.S. one"),
                Arguments.of("detectable_format:constrained_response", "{}", "My answer is maybe.", "My answer is probably."),
                Arguments.of("detectable_format:json_format", "{}", "```json\n{\"a\": [1, 2]}\n```", "{\"a\": [1, 2]} and more"),
                Arguments.of("detectable_format:multiple_sections", "{\"section_spliter\": \"SECTION\", \"num_sections\": 2}",
                        "SECTION 1\nIntro.\nSECTION 2\nBody.", "SECTION 1\nIntro.\nSection 2\nBody."),
                Arguments.of("detectable_format:number_bullet_lists", "{\"num_bullets\": 3}", "Points:\n* one\n* two\n- three",
                        "Points:\n* one\n* two"),
                Arguments.of("detectable_format:number_highlighted_sections", "{\"num_highlights\": 2}",
                        "An *important* point and a **bold** one.", "An *important* point and a plain one, ** **."),
                Arguments.of("detectable_format:title", "{}", "<<Ode to Joy>>\nJoy!", "<< >>\nJoy!"),
                Arguments.of("keywords:existence", "{\"keywords\": [\"ocean\", \"salt\"]}",
                        "The OCEAN tastes of salt.", "The ocean is wide."),
                Arguments.of("keywords:forbidden_words", "{\"forbidden_words\": [\"red\", \"blue\"]}",
                        "The sky was reddish and bluer than usual.", "The sky was Blue."),
                Arguments.of("keywords:frequency", "{\"keyword\": \"tea\", \"relation\": \"at least\", \"frequency\": 2}",
                        "Tea time: green tea.", "Coffee time: green tea."),
                Arguments.of("keywords:frequency", "{\"keyword\": \"tea\", \"relation\": \"less than\", \"frequency\": 2}",
                        "Coffee time: green tea.", "Tea time: green tea."),
                Arguments.of("keywords:letter_frequency", "{\"letter\": \"q\", \"let_relation\": \"at least\", \"let_frequency\": 3}",
                        "Quick quiet Queen.", "Quick quiet king."),
                Arguments.of("keywords:letter_frequency", "{\"letter\": \"e\", \"let_relation\": \"less than\", \"let_frequency\": 3}",
                        "A cat sat on the mat.", "Eleven geese."),
                Arguments.of("language:response_language", "{\"language\": \"de\"}",
                        "Der schnelle braune Fuchs springt über den faulen Hund und läuft dann in den Wald, um Futter zu finden.",
                        ENGLISH),
                Arguments.of("language:response_language", "{\"language\": \"hi\"}",
                        "भारत एक विशाल देश है और यहाँ अनेक भाषाएँ बोली जाती हैं।", ENGLISH),
                Arguments.of("length_constraints:nth_paragraph_first_word",
                        "{\"num_paragraphs\": 3, \"nth_paragraph\": 2, \"first_word\": \"Summer\"}",
                        "Spring is mild.\n\n\"Summer, they say, is hot.\n\nAutumn is cool.",
                        "Spring is mild.\n\nWinter is cold.\n\nAutumn is cool."),
                Arguments.of("length_constraints:number_paragraphs", "{\"num_paragraphs\": 3}",
                        "One.\n***\nTwo.\n***\nThree.\n***", "One.\n***\n\n***\nTwo.\n***\nThree."),
                Arguments.of("length_constraints:number_sentences", "{\"relation\": \"less than\", \"num_sentences\": 3}",
                        "Dr. Smith met Mr. Jones at 3.30 p.m. today. They talked.", "One. Two! Three? Four."),
                Arguments.of("length_constraints:number_sentences", "{\"relation\": \"at least\", \"num_sentences\": 3}",
                        "One. Two! Three?", "Only e.g. one sentence... really."),
                Arguments.of("length_constraints:number_words", "{\"relation\": \"at least\", \"num_words\": 5}",
                        "one two three four five", "one two three four"),
                Arguments.of("length_constraints:number_words", "{\"relation\": \"less than\", \"num_words\": 5}",
                        "well-known short reply", "one, two, three, four, five."),
                Arguments.of("punctuation:no_comma", "{}", "No commas here at all.", "Well, here is one."),
                Arguments.of("startend:end_checker", "{\"end_phrase\": \"Any other questions?\"}",
                        "That is all. any other questions?\"", "Any other questions? No."),
                Arguments.of("startend:quotation", "{}", "  \"Wrapped in quotes.\"\n", "\"Only opened."));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void followingResponsePassesAndViolatingResponseFails(String id, String kwargs, String follows, String violates)
            throws Exception {
        IfEvalPrompt p = prompt(id, kwargs);
        assertEquals(List.of(true), p.strict(follows), "strict, following: " + follows);
        assertEquals(List.of(true), p.loose(follows), "loose, following: " + follows);
        assertEquals(List.of(false), p.strict(violates), "strict, violating: " + violates);
        assertEquals(List.of(false), p.loose(violates), "loose, violating: " + violates);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void blankResponseFollowsNothing(String id, String kwargs, String follows, String violates) throws Exception {
        IfEvalPrompt p = prompt(id, kwargs);
        assertEquals(List.of(false), p.strict("  \n "));
        assertEquals(List.of(false), p.loose("  \n "));
    }

    @Test
    void everyKnownIdHasAFollowingAndAViolatingCase() {
        assertEquals(new TreeSet<>(IfEvalPrompt.knownIds()),
                new TreeSet<>(cases().stream().map(a -> (String) a.get()[0]).toList()));
        assertEquals(25, IfEvalPrompt.knownIds().size());
    }

    @Test
    void chattyFirstLineFailsStrictButPassesLoose() throws Exception {
        // The reference's motivating case: the answer is right once "Sure, here is ..." is dropped.
        IfEvalPrompt repeat = prompt("combination:repeat_prompt", "{\"prompt_to_repeat\": \"Write a haiku.\"}");
        String r = "Sure, here is my response:\nWrite a haiku.\nLeaves fall, winds whisper.";
        failsStrictPassesLoose(repeat, r);
        IfEvalPrompt json = prompt("detectable_format:json_format", "{}");
        String j = "Here is the JSON you asked for:\n{\"ok\": true}";
        failsStrictPassesLoose(json, j);
    }

    @Test
    void chattyLastLineFailsStrictButPassesLoose() throws Exception {
        IfEvalPrompt quoted = prompt("startend:quotation", "{}");
        String r = "\"All of it in quotes.\"\nLet me know if you need anything else!";
        failsStrictPassesLoose(quoted, r);
        // Both lines dropped: a title line and a sign-off around a JSON body.
        IfEvalPrompt json = prompt("detectable_format:json_format", "{}");
        String both = "Here you go:\n[1, 2, 3]\nHope this helps.";
        failsStrictPassesLoose(json, both);
    }

    @Test
    void markdownAsterisksFailStrictButPassLoose() throws Exception {
        IfEvalPrompt end = prompt("startend:end_checker", "{\"end_phrase\": \"Is there anything else I can help with?\"}");
        String r = "Done. **Is there anything else I can help with?**";
        failsStrictPassesLoose(end, r);
        // Bold markers around the repeated request.
        IfEvalPrompt repeat = prompt("combination:repeat_prompt", "{\"prompt_to_repeat\": \"Name three fruits.\"}");
        failsStrictPassesLoose(repeat, "**Name three fruits.** Apple, pear, plum.");
    }

    /** What the loose score is for: the strict reading fails {@code response}, the loose one accepts it. */
    private static void failsStrictPassesLoose(IfEvalPrompt p, String response) {
        assertEquals(List.of(false), p.strict(response), "strict");
        assertEquals(List.of(true), p.loose(response), "loose");
    }

    @Test
    void looseVariantsAreTheReferencesEight() {
        List<String> v = IfEvalPrompt.looseVariants("Sure:\n*a*\nb\nBye");
        assertEquals(List.of("Sure:\n*a*\nb\nBye", "Sure:\na\nb\nBye", "*a*\nb\nBye", "Sure:\n*a*\nb", "*a*\nb",
                "a\nb\nBye", "Sure:\na\nb", "a\nb"), v);
        List<String> one = IfEvalPrompt.looseVariants("*single line*");
        assertEquals(List.of("*single line*", "single line", "", "", "", "", "", ""), one);
    }

    @Test
    void promptLevelNeedsEveryInstruction() throws Exception {
        ObjectNode row = JSON.createObjectNode();
        row.putArray("instruction_id_list").add("punctuation:no_comma").add("startend:quotation");
        row.putArray("kwargs").addObject();
        ((ArrayNode) row.get("kwargs")).addObject();
        IfEvalPrompt p = IfEvalPrompt.of("test", row);
        assertEquals(List.of(true, false), p.strict("No comma and no quotes"));
        assertEquals(List.of(true, true), p.strict("\"No comma and quotes\""));
    }

    @Test
    void sentenceSplitterKeepsAbbreviationsDecimalsAndEllipsesInside() {
        assertEquals(List.of("Dr. Smith paid $3.50 at example.com today.", "Then he left..."),
                Text.splitSentences("Dr. Smith paid $3.50 at example.com today. Then he left..."));
        assertEquals(0, Text.sentences(""));
        assertEquals(1, Text.sentences("no final stop"));
    }

    @Test
    void pythonCaseRulesNeedACasedLetter() {
        assertTrue(Text.isUpper("ABC 123!"));
        assertFalse(Text.isUpper("123!"));
        assertTrue(Text.isLower("abc 123"));
        assertFalse(Text.isLower("abc Def"));
    }
}
