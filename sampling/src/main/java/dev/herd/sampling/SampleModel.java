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
 */
public record SampleModel(Path dir, String url, String name) {

    public SampleModel {
        if ((dir == null) == (url == null)) {
            throw new IllegalArgumentException("a local folder or a URL, not both");
        }
    }

    public static SampleModel local(Path dir) {
        return new SampleModel(dir, null, null);
    }

    public static SampleModel served(String url, String name) {
        if (name == null) {
            throw new HerdInputException("--model " + url + " needs --model-name (the served model's name)");
        }
        return new SampleModel(null, url, name);
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
        return remote() ? name + "@" + url : dir.toAbsolutePath().normalize().toString();
    }

    @Override
    public String toString() {
        return remote() ? url : dir.toString();
    }
}
