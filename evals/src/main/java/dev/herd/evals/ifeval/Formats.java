package dev.herd.evals.ifeval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code detectable_format:*}: JSON, bullet lists, a title, highlighted sections, numbered sections, fixed answers. */
final class Formats {

    /** Like Python's json.loads: one value and nothing after it; NaN and Infinity allowed. */
    private static final ObjectMapper STRICT_JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);
    private static final Pattern STAR_BULLET = Pattern.compile("^\\s*\\*[^*].*$", Pattern.MULTILINE | Pattern.UNIX_LINES);
    private static final Pattern DASH_BULLET = Pattern.compile("^\\s*-.*$", Pattern.MULTILINE | Pattern.UNIX_LINES);
    private static final Pattern TITLE = Pattern.compile("<<[^\\n]+>>");
    private static final Pattern HIGHLIGHT = Pattern.compile("\\*[^\\n*]*\\*");
    private static final Pattern DOUBLE_HIGHLIGHT = Pattern.compile("\\*\\*[^\\n*]*\\*\\*");
    private static final List<String> CONSTRAINED = List.of("My answer is yes.", "My answer is no.", "My answer is maybe.");

    private Formats() {}

    /** {@code detectable_format:json_format}: the whole response parses as JSON, optionally in a ``` fence. */
    record Json() implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String v = response.strip();
            for (String fence : List.of("```json", "```Json", "```JSON", "```")) {
                if (v.startsWith(fence)) {
                    v = v.substring(fence.length());
                }
            }
            if (v.endsWith("```")) {
                v = v.substring(0, v.length() - 3);
            }
            v = v.strip();
            try {
                JsonNode n = STRICT_JSON.readTree(v);
                return n != null && !n.isMissingNode();
            } catch (JsonProcessingException e) {
                return false;
            }
        }
    }

    /** {@code detectable_format:number_bullet_lists}: exactly n lines starting with "* " or "-" (after spaces). */
    record BulletList(int bullets) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return Text.count(STAR_BULLET, response) + Text.count(DASH_BULLET, response) == bullets;
        }
    }

    /** {@code detectable_format:title}: a non-blank title in double angular brackets on one line, {@code <<title>>}. */
    record Title() implements Instruction {
        @Override
        public boolean followedBy(String response) {
            Matcher m = TITLE.matcher(response);
            while (m.find()) {
                if (!m.group().replaceAll("^<+", "").replaceAll(">+$", "").isBlank()) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * {@code detectable_format:number_highlighted_sections}: at least n non-blank {@code *highlights*} on one line;
     * a {@code **bold**} span counts once as a bold span and is not a single-star highlight.
     */
    record Highlighted(int highlights) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            int n = 0;
            Matcher single = HIGHLIGHT.matcher(response);
            while (single.find()) {
                if (!single.group().replaceAll("^\\*+|\\*+$", "").isBlank()) {
                    n++;
                }
            }
            Matcher dbl = DOUBLE_HIGHLIGHT.matcher(response);
            while (dbl.find()) {
                String g = dbl.group();
                if (!g.substring(2, g.length() - 2).isBlank()) {
                    n++;
                }
            }
            return n >= highlights;
        }
    }

    /**
     * {@code detectable_format:multiple_sections}: at least n section marks "SPLITTER N" (the splitter word, a
     * number, optional single spaces around).
     */
    record Sections(String splitter, int sections) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            Pattern mark = Pattern.compile("\\s?" + Pattern.quote(splitter.strip()) + "\\s?\\d+\\s?");
            return Text.count(mark, response) >= sections;
        }
    }

    /** {@code detectable_format:constrained_response}: contains "My answer is yes.", "... no." or "... maybe.". */
    record ConstrainedResponse() implements Instruction {
        @Override
        public boolean followedBy(String response) {
            String v = response.strip();
            return CONSTRAINED.stream().anyMatch(v::contains);
        }
    }
}
