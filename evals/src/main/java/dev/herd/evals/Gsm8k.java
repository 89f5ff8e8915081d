package dev.herd.evals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8K as lm-evaluation-harness's {@code gsm8k} task: "Question: …\nAnswer:" with k solved examples from the
 * train split, greedy generation, and exact match of the final number under two extractions — strict
 * ({@code #### N}) and flexible (the last number in the response) — after removing commas, dollar signs,
 * everything up to "#### " and a final period.
 */
final class Gsm8k implements Task {

    static final Pattern STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");
    static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");

    private final List<EvalItem> items = new ArrayList<>();

    Gsm8k(Path dir, int shots) {
        StringBuilder fewshot = new StringBuilder();
        Path train = dir.resolve("train.jsonl");
        if (shots > 0 && Files.exists(train)) {
            List<JsonLines.Line> rows = JsonLines.read(train);
            for (int i = 0; i < Math.min(shots, rows.size()); i++) {
                fewshot.append("Question: ").append(JsonLines.text(train, rows.get(i), "question")).append("\nAnswer: ")
                        .append(JsonLines.text(train, rows.get(i), "answer")).append("\n\n");
            }
        }
        Path test = dir.resolve("test.jsonl");
        List<JsonLines.Line> rows = JsonLines.read(test);
        for (int i = 0; i < rows.size(); i++) {
            JsonLines.Line l = rows.get(i);
            String q = JsonLines.text(test, l, "question");
            String a = JsonLines.text(test, l, "answer");
            items.add(EvalItem.generation(String.valueOf(i), fewshot + "Question: " + q + "\nAnswer:", a, Map.of()));
        }
    }

    @Override
    public String name() {
        return "gsm8k";
    }

    @Override
    public Type type() {
        return Type.GENERATION;
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }

    @Override
    public List<String> stopSequences() {
        return List.of("Question:", "</s>", "<|im_end|>");
    }

    @Override
    public Map<String, Double> scoreGeneration(EvalItem item, String response) {
        String gold = normalize(item.answer());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("exact_match_strict", matches(first(STRICT, response), gold));
        m.put("exact_match_flexible", matches(last(FLEXIBLE, response), gold));
        return m;
    }

    private static double matches(String extracted, String gold) {
        return extracted != null && normalize(extracted).equals(gold) ? 1.0 : 0.0;
    }

    static String first(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1) : null;
    }

    static String last(Pattern p, String s) {
        Matcher m = p.matcher(s);
        String found = null;
        while (m.find()) {
            found = m.group(1) != null ? m.group(1) : m.group(2);
        }
        return found;
    }

    /** lm-eval's regexes_to_ignore [",", "\\$", "(?s).*#### ", "\\.$"], then ignore_case. */
    static String normalize(String s) {
        return s.replace(",", "").replace("$", "").replaceAll("(?s).*#### ", "").replaceAll("\\.$", "").strip()
                .toLowerCase(java.util.Locale.ROOT);
    }
}
