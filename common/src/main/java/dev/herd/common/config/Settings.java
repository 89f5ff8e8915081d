package dev.herd.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * A stage's knobs ({@link Setting}s) and the three ways values reach them: a recipe stage's JSON object, a
 * {@code --config FILE.json}, and command-line flags. All three are resolved here, against one table, so a
 * stage's config record (e.g. {@code SftConfig}) is built from the same defaults and keys whichever way it is
 * called: TRL's one-config-per-method, with picocli options generated from the table.
 */
public final class Settings {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Setting> byKey = new LinkedHashMap<>();

    public Settings(List<Setting> settings) {
        for (Setting s : settings) {
            if (byKey.put(s.key(), s) != null) {
                throw new IllegalArgumentException("setting " + s.key() + " given twice");
            }
        }
    }

    public static Settings of(Setting... settings) {
        return new Settings(List.of(settings));
    }

    /** These settings and more (a trainer's own after the shared training ones); a repeated key replaces the earlier. */
    public Settings with(Setting... more) {
        Map<String, Setting> all = new LinkedHashMap<>(byKey);
        for (Setting s : more) {
            all.put(s.key(), s);
        }
        return new Settings(new ArrayList<>(all.values()));
    }

    public List<Setting> all() {
        return List.copyOf(byKey.values());
    }

    public Set<String> keys() {
        return byKey.keySet();
    }

    /**
     * The defaults with {@code overrides} laid over them: every key known ({@code max_steps} is read as
     * {@code max-steps}, as Hugging Face configs spell them), every value of its setting's type. A mistake is one
     * line naming {@code source} and the key.
     */
    public ObjectNode resolve(JsonNode overrides, String source) {
        return layer(defaults(), overrides, source);
    }

    /** {@code base} (already resolved) with {@code overrides} laid over it, checked as {@link #resolve} does. */
    public ObjectNode layer(ObjectNode base, JsonNode overrides, String source) {
        ObjectNode node = base.deepCopy();
        if (overrides == null || overrides.isNull() || overrides.isMissingNode()) {
            return node;
        }
        if (!overrides.isObject()) {
            throw new HerdInputException(source + ": expected a JSON object of settings, got " + overrides);
        }
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = e.getKey().replace('_', '-');
            Setting s = byKey.get(key);
            if (s == null) {
                throw new HerdInputException(source + ": unknown setting '" + e.getKey() + "'; known: "
                        + String.join(", ", new TreeSet<>(byKey.keySet())));
            }
            node.set(key, checked(s, e.getValue(), source));
        }
        return node;
    }

    public ObjectNode defaults() {
        ObjectNode node = JSON.createObjectNode();
        byKey.values().forEach(s -> node.set(s.key(), JSON.valueToTree(s.defaultValue())));
        return node;
    }

    private static JsonNode checked(Setting s, JsonNode v, String source) {
        boolean ok;
        if (v.isNull()) {
            ok = s.type() != Boolean.class;
        } else if (s.type() == Double.class) {
            ok = v.isNumber();
        } else if (s.type() == Integer.class) {
            ok = v.isIntegralNumber() && v.canConvertToInt();
        } else if (s.type() == Long.class) {
            ok = v.isIntegralNumber() && v.canConvertToLong();
        } else if (s.type() == String.class) {
            ok = v.isTextual();
        } else if (s.type() == Boolean.class) {
            ok = v.isBoolean();
        } else {
            ok = v.isTextual() || (v.isArray() && allText(v));
        }
        if (!ok) {
            throw new HerdInputException(source + ": '" + s.key() + "' must be " + describe(s.type()) + ", got " + v);
        }
        if (s.type() == List.class && v.isTextual()) {
            ArrayNode a = JSON.createArrayNode();
            a.add(v.asText());
            return a;
        }
        return v;
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode x : array) {
            if (!x.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static String describe(Class<?> type) {
        if (type == Double.class) {
            return "a number";
        }
        if (type == Integer.class || type == Long.class) {
            return "an integer";
        }
        if (type == Boolean.class) {
            return "true or false";
        }
        return type == String.class ? "a string" : "a list of strings";
    }

    /** Reads a {@code --config} file: a JSON object of these settings. */
    public static JsonNode readFile(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new HerdInputException(file + ": expected a JSON object of settings");
            }
            return node;
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new HerdInputException(file + ": no such file");
            }
            String msg = e.getMessage() == null ? "" : e.getMessage().split("\n")[0];
            throw new HerdInputException(file + ": not valid JSON: " + msg);
        }
    }

    // ---- the command line ----

    /**
     * Adds every flag setting to a picocli command as {@code --KEY}, with its help and default. Values are left
     * unset (null) unless given, so {@link #given} can tell a flag from a default.
     */
    public void addOptions(CommandSpec spec) {
        for (Setting s : byKey.values()) {
            if (!s.flag() || spec.findOption("--" + s.key()) != null) {
                continue;
            }
            String dflt = s.defaultValue() == null || s.type() == Boolean.class ? ""
                    : " Default: " + (s.defaultValue() instanceof List<?> l ? String.join(", ", l.stream().map(String::valueOf).toList())
                            : s.defaultValue()) + ".";
            OptionSpec.Builder b = OptionSpec.builder("--" + s.key()).description(s.help() + dflt);
            if (s.type() == Boolean.class) {
                b.type(boolean.class).arity("0");
            } else if (s.type() == List.class) {
                b.type(List.class).auxiliaryTypes(String.class).arity("1..*").paramLabel("TEXT");
            } else {
                b.type(s.type()).paramLabel(s.type() == String.class ? "TEXT" : s.type() == Double.class ? "X" : "N");
            }
            spec.addOption(b.build());
        }
    }

    /** The settings given as flags in this parse, as JSON overrides. */
    public ObjectNode given(ParseResult parsed) {
        ObjectNode node = JSON.createObjectNode();
        for (Setting s : byKey.values()) {
            if (s.flag() && parsed.hasMatchedOption("--" + s.key())) {
                Object v = parsed.matchedOption("--" + s.key()).getValue();
                node.set(s.key(), JSON.valueToTree(v));
            }
        }
        return node;
    }

    /**
     * What a command resolves: the defaults, then its {@code --config} file (if any), then the flags given.
     */
    public ObjectNode fromCommandLine(ParseResult parsed, Path configFile) {
        ObjectNode v = defaults();
        if (configFile != null) {
            v = layer(v, readFile(configFile), configFile.toString());
        }
        return layer(v, given(parsed), "command line");
    }
}
