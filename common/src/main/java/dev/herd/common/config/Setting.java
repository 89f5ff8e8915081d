package dev.herd.common.config;

import java.util.List;
import java.util.Objects;

/**
 * One knob of a stage: its key, type, default and help, written once. The key is the JSON key of a recipe stage
 * or a {@code --config} file and, with {@code --} in front, the command-line flag ({@code max-steps},
 * {@code --max-steps}), so the recipe, the config file and {@code --help} cannot drift apart.
 *
 * @param key          JSON key and flag name (without {@code --})
 * @param type         {@code Double}, {@code Integer}, {@code Long}, {@code String}, {@code Boolean} (a flag without
 *                     value) or {@code List} (strings; a repeatable flag, a JSON array)
 * @param defaultValue the stage's default; null where "not set" means something (e.g. no system prompt)
 * @param help         one sentence for {@code --help}; the default is appended
 * @param flag         false for settings only a file or recipe can give (structured values such as DPO's pair kinds)
 */
public record Setting(String key, Class<?> type, Object defaultValue, String help, boolean flag) {

    private static final List<Class<?>> TYPES = List.of(Double.class, Integer.class, Long.class, String.class, Boolean.class,
            List.class);

    public Setting {
        Objects.requireNonNull(key);
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException(key + ": unsupported setting type " + type.getSimpleName());
        }
        if (defaultValue != null && !type.isInstance(defaultValue)) {
            throw new IllegalArgumentException(key + ": default " + defaultValue + " is not a " + type.getSimpleName());
        }
    }

    public static Setting of(String key, double dflt, String help) {
        return new Setting(key, Double.class, dflt, help, true);
    }

    public static Setting of(String key, int dflt, String help) {
        return new Setting(key, Integer.class, dflt, help, true);
    }

    public static Setting of(String key, long dflt, String help) {
        return new Setting(key, Long.class, dflt, help, true);
    }

    /** A string setting; {@code dflt} may be null. */
    public static Setting of(String key, String dflt, String help) {
        return new Setting(key, String.class, dflt, help, true);
    }

    /** A switch: off unless given ({@code --no-pack}, {@code "no-pack": true}). */
    public static Setting flag(String key, String help) {
        return new Setting(key, Boolean.class, false, help, true);
    }

    /** A list of strings: a repeatable flag, a JSON array. */
    public static Setting list(String key, List<String> dflt, String help) {
        return new Setting(key, List.class, List.copyOf(dflt), help, true);
    }

    /** A setting a config file or recipe gives, not a flag (a structured value). */
    public Setting fileOnly() {
        return new Setting(key, type, defaultValue, help, false);
    }

    /** The same setting with another default (a trainer's own default for a shared knob). */
    public Setting withDefault(Object dflt) {
        return new Setting(key, type, dflt, help, flag);
    }
}
