package dev.herd.sampling.scoring;

import dev.herd.sampling.SamplingPrompt;
import dev.herd.common.HerdInputException;
import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Rule-based scorers that check a response against the prompt row's {@code answer}: 1 when it passes, 0 when
 * not. {@code exact}: equal after trimming; {@code numeric}: the last number in the response equals the answer
 * (commas and a trailing ".0" ignored, as GSM8K graders do); {@code regex}: the answer, a Java regex, is found
 * in the response. {@code auto}: each prompt's own {@code verifier} field picks one of those (exact when absent),
 * so one run can verify a mixed prompt set — arithmetic checked numerically, instructions exactly.
 */
public final class Verifier implements Scorer {

    public enum Kind { EXACT, NUMERIC, REGEX, AUTO }

    private static final Pattern NUMBER = Pattern.compile("-?\\d[\\d,]*(?:\\.\\d+)?");

    private final Kind kind;

    public Verifier(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String name() {
        return "verify:" + kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public double[] score(List<SamplingPrompt> prompts, List<String> responses) {
        double[] out = new double[responses.size()];
        for (int i = 0; i < out.length; i++) {
            SamplingPrompt p = prompts.get(i);
            Kind k = kind == Kind.AUTO ? kindOf(p) : kind;
            if (p.answer() == null) {
                throw new HerdInputException("prompt " + p.id() + ": " + name() + " needs an 'answer' field");
            }
            out[i] = passes(k, p.answer(), responses.get(i)) ? 1 : 0;
        }
        return out;
    }

    /** The kind a prompt's {@code verifier} field names, for {@code verify:auto}. */
    static Kind kindOf(SamplingPrompt p) {
        if (p.verifier() == null) {
            return Kind.EXACT;
        }
        return switch (p.verifier().strip().toLowerCase(java.util.Locale.ROOT)) {
            case "exact" -> Kind.EXACT;
            case "numeric" -> Kind.NUMERIC;
            case "regex" -> Kind.REGEX;
            default -> throw new HerdInputException("prompt " + p.id() + ": unknown verifier '" + p.verifier()
                    + "' for verify:auto (expected exact, numeric or regex)");
        };
    }

    private static boolean passes(Kind kind, String answer, String response) {
        return switch (kind) {
            case AUTO -> throw new IllegalStateException("verify:auto checks with each prompt's own kind");
            case EXACT -> response.strip().equals(answer.strip());
            case REGEX -> {
                try {
                    yield Pattern.compile(answer).matcher(response).find();
                } catch (PatternSyntaxException e) {
                    throw new HerdInputException("answer '" + answer + "' is not a valid regex: " + e.getDescription());
                }
            }
            case NUMERIC -> {
                String last = null;
                Matcher m = NUMBER.matcher(response);
                while (m.find()) {
                    last = m.group();
                }
                yield last != null && sameNumber(last, answer.strip());
            }
        };
    }

    static boolean sameNumber(String a, String b) {
        try {
            return new BigDecimal(a.replace(",", "")).compareTo(new BigDecimal(b.replace(",", ""))) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
