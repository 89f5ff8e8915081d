package dev.herd.sampling;

import dev.herd.common.HerdInputException;
import dev.herd.openai.OpenAiClient;
import java.nio.file.Path;

/**
 * The model samples are drawn from: a local model folder, or a model served behind an OpenAI-compatible API.
 *
 * @param dir  the local folder, or null
 * @param url  the server's base URL ({@code http://host:port/v1}), or null
 * @param name the served model's name (with {@code url})
 * @param adapter a LoRA adapter folder merged into {@code dir} at load, or null
 */
public record SampleModel(Path dir, String url, String name, Path adapter) {

    public SampleModel {
        if ((dir == null) == (url == null)) {
            throw new IllegalArgumentException("a local folder or a URL, not both");
        }
        if (adapter != null && dir == null) {
            throw new HerdInputException("--adapter needs a local --model folder, not a served model");
        }
    }

    public static SampleModel local(Path dir) {
        return new SampleModel(dir, null, null, null);
    }

    /** This local model with the LoRA adapter folder {@code adapter} merged in (null: as it is). */
    public SampleModel withAdapter(Path adapter) {
        return adapter == null ? this : new SampleModel(dir, url, name, adapter);
    }

    public static SampleModel served(String url, String name) {
        if (name == null) {
            throw new HerdInputException("--model " + url + " needs --model-name (the served model's name)");
        }
        return new SampleModel(null, url, name, null);
    }

    /** {@code --model} as given: an http(s) URL is a served model, anything else a folder. */
    public static SampleModel parse(String model, String servedName) {
        return OpenAiClient.isUrl(model) ? served(model, servedName) : local(Path.of(model));
    }

    public boolean remote() {
        return url != null;
    }

    /** How the samples' {@code model} column names it: the folder's absolute path, or the served name at its URL. */
    public String stored() {
        if (remote()) {
            return name + "@" + url;
        }
        String d = dir.toAbsolutePath().normalize().toString();
        return adapter == null ? d : d + "+" + adapter.toAbsolutePath().normalize();
    }

    @Override
    public String toString() {
        return remote() ? url : dir.toString();
    }
}
