package dev.herd.evals.ifeval;

import dev.herd.common.HerdInputException;
import java.util.List;

/** The IFEval instruction ids this checker knows (all 25 that occur in the 541 prompts), built from their kwargs. */
final class Instructions {

    static final List<String> IDS = List.of(
            "change_case:capital_word_frequency", "change_case:english_capital", "change_case:english_lowercase",
            "combination:repeat_prompt", "combination:two_responses",
            "detectable_content:number_placeholders", "detectable_content:postscript",
            "detectable_format:constrained_response", "detectable_format:json_format",
            "detectable_format:multiple_sections", "detectable_format:number_bullet_lists",
            "detectable_format:number_highlighted_sections", "detectable_format:title",
            "keywords:existence", "keywords:forbidden_words", "keywords:frequency", "keywords:letter_frequency",
            "language:response_language",
            "length_constraints:nth_paragraph_first_word", "length_constraints:number_paragraphs",
            "length_constraints:number_sentences", "length_constraints:number_words",
            "punctuation:no_comma", "startend:end_checker", "startend:quotation");

    private Instructions() {}

    /** The instruction {@code id} with its arguments; an unknown id or a missing/ill-typed argument is bad input. */
    static Instruction of(String id, Args a) {
        return switch (id) {
            case "change_case:capital_word_frequency" ->
                    new Cases.CapitalWordFrequency(a.relation("capital_relation"), a.integer("capital_frequency"));
            case "change_case:english_capital" -> new Cases.EnglishCapital(Languages.shared());
            case "change_case:english_lowercase" -> new Cases.EnglishLowercase(Languages.shared());
            case "combination:repeat_prompt" -> new Combinations.RepeatPrompt(a.text("prompt_to_repeat"));
            case "combination:two_responses" -> new Combinations.TwoResponses();
            case "detectable_content:number_placeholders" -> new Contents.Placeholders(a.integer("num_placeholders"));
            case "detectable_content:postscript" -> new Contents.Postscript(a.text("postscript_marker"));
            case "detectable_format:constrained_response" -> new Formats.ConstrainedResponse();
            case "detectable_format:json_format" -> new Formats.Json();
            case "detectable_format:multiple_sections" ->
                    new Formats.Sections(a.text("section_spliter"), a.integer("num_sections"));
            case "detectable_format:number_bullet_lists" -> new Formats.BulletList(a.integer("num_bullets"));
            case "detectable_format:number_highlighted_sections" -> new Formats.Highlighted(a.integer("num_highlights"));
            case "detectable_format:title" -> new Formats.Title();
            case "keywords:existence" -> new Keywords.Existence(a.texts("keywords"));
            case "keywords:forbidden_words" -> new Keywords.Forbidden(a.texts("forbidden_words"));
            case "keywords:frequency" ->
                    new Keywords.Frequency(a.text("keyword"), a.relation("relation"), a.integer("frequency"));
            case "keywords:letter_frequency" -> new Keywords.LetterFrequency(a.text("letter"),
                    a.relation("let_relation"), a.integer("let_frequency"));
            case "language:response_language" -> new Languages.ResponseLanguage(Languages.shared(), a.text("language"));
            case "length_constraints:nth_paragraph_first_word" -> new Lengths.NthParagraphFirstWord(
                    a.integer("num_paragraphs"), a.integer("nth_paragraph"), a.text("first_word"));
            case "length_constraints:number_paragraphs" -> new Lengths.Paragraphs(a.integer("num_paragraphs"));
            case "length_constraints:number_sentences" ->
                    new Lengths.Sentences(a.relation("relation"), a.integer("num_sentences"));
            case "length_constraints:number_words" -> new Lengths.Words(a.relation("relation"), a.integer("num_words"));
            case "punctuation:no_comma" -> new Punctuation();
            case "startend:end_checker" -> new StartEnd.EndPhrase(a.text("end_phrase"));
            case "startend:quotation" -> new StartEnd.Quotation();
            default -> throw new HerdInputException(a.where() + ": unknown IFEval instruction '" + id + "'");
        };
    }
}
