package dev.herd.llama.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What jinjava needs to render chat templates as Python Jinja2 does under Hugging Face's settings.
 *
 * <ul>
 *   <li>trim_blocks and lstrip_blocks on, whitespace control parsed strictly, natural operator precedence
 *       ({@code 'a' + x | trim} filters {@code x} first, as in Python);</li>
 *   <li>{@code tojson} as Python's {@code json.dumps(x, ensure_ascii=False, indent=...)}: jinjava's own
 *       writes compact JSON without spaces after separators;</li>
 *   <li>{@code items} (a mapping's key/value pairs) for {@code for k, v in d | items};</li>
 *   <li>the {@code iterable} test: in Python a string is iterable, and Meta's template relies on it to
 *       quote string tool results with tojson;</li>
 *   <li>{@code raise_exception(msg)} and {@code strftime_now(fmt)} as globals.</li>
 * </ul>
 */
final class JinjaCompat {

    static final TypeReference<Map<String, Object>> MAP_TYPE = new TypeReference<>() {};
    static final ThreadLocal<LocalDateTime> NOW = new ThreadLocal<>();
    /** Bound under the function's name so {@code strftime_now is defined} is true, as for a Jinja2 global. */
    static final Object DEFINED_FUNCTION = "strftime_now";
    private static final String RAISED = "herd-raise-exception: ";

    private static volatile Jinjava engine;

    private JinjaCompat() {}

    static Jinjava engine() {
        Jinjava e = engine;
        if (e == null) {
            synchronized (JinjaCompat.class) {
                if (engine == null) {
                    engine = build();
                }
                e = engine;
            }
        }
        return e;
    }

    private static Jinjava build() {
        LegacyOverrides overrides = LegacyOverrides.newBuilder()
                .withParseWhitespaceControlStrictly(true)
                .withUseNaturalOperatorPrecedence(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withAllowAdjacentTextNodes(true)
                .withKeepNullableLoopValues(true)
                .build();
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(overrides)
                .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFilter(new ToJson());
        j.getGlobalContext().registerFilter(new Items());
        j.getGlobalContext().registerExpTest(new Iterable());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaCompat.class,
                "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaCompat.class,
                "strftimeNow", String.class));
        return j;
    }

    /**
     * {@code not x is defined} means {@code not (x is defined)} in Jinja2, but jinjava binds {@code not} to
     * {@code x} first; Meta's templates use the form for every default ({@code date_string}, {@code tools}).
     */
    private static final java.util.regex.Pattern NOT_IS =
            java.util.regex.Pattern.compile("\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)");

    /**
     * Likewise {@code if not a | length == 1} means {@code if not (a|length == 1)}: in Jinja2 {@code not} binds
     * looser than comparisons and tests. An if-condition that starts with {@code not} and has no top-level
     * {@code and}/{@code or} is parenthesised whole.
     */
    private static final java.util.regex.Pattern IF_NOT = java.util.regex.Pattern.compile(
            "(\\{%-?\\s*(?:el)?if\\s+)not\\s+((?:(?!\\band\\b|\\bor\\b|-?%\\}).)+?)(\\s*-?%\\})");

    /** Template source rewritten where jinjava's grammar differs from Jinja2's. */
    static String preprocess(String source) {
        String s = NOT_IS.matcher(source).replaceAll("not ($1 is $2$3)");
        return IF_NOT.matcher(s).replaceAll("$1not ($2)$3");
    }

    public static String raiseException(String message) {
        throw new IllegalStateException(RAISED + message);
    }

    public static String strftimeNow(String format) {
        LocalDateTime now = NOW.get() == null ? LocalDateTime.now() : NOW.get();
        return Strftime.format(now, format);
    }

    /** The message given to raise_exception, if this error came from it. */
    static String raisedMessage(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains(RAISED)) {
                return m.substring(m.indexOf(RAISED) + RAISED.length());
            }
        }
        String m = error.getMessage();
        if (m != null && m.contains(RAISED)) {
            return m.substring(m.indexOf(RAISED) + RAISED.length());
        }
        return null;
    }

    /** Python's json.dumps(x, ensure_ascii=False, indent=indent). */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PyJson.dumps(var, args.length > 0 && args[0] != null ? Integer.parseInt(args[0]) : null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) {
                indent = args[0];
            }
            return PyJson.dumps(var, indent == null ? null : ((Number) toNumber(indent)).intValue());
        }

        private static Object toNumber(Object o) {
            return o instanceof Number ? o : Long.parseLong(o.toString());
        }
    }

    /** {@code d | items}: the (key, value) pairs of a mapping, in order. */
    static final class Items implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            List<List<Object>> out = new ArrayList<>();
            if (var instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    out.add(List.of(e.getKey(), e.getValue() == null ? "" : e.getValue()));
                }
            }
            return out;
        }
    }

    /** Python's notion: strings, lists and mappings are iterable. */
    static final class Iterable implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Collection<?> || var instanceof Map<?, ?>
                    || (var != null && var.getClass().isArray()) || var instanceof java.lang.Iterable<?>;
        }
    }
}
