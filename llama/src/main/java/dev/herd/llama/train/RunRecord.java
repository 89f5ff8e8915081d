package dev.herd.llama.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.ModelFolder;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * What a training run was started from: the trainer, its starting models (by content hash), every setting that
 * shapes the result, and a hash of the training examples as they enter training. {@link RunFolder} keeps it
 * as {@code OUT.ckpt/run.json} and resumes a run only when a re-run's record is the same, so a re-run after
 * the data or the base changed never passes the old checkpoints off as the new model.
 */
public final class RunRecord {

    static final String FILE = "run.json";

    /** Settings a resumed run may change: they decide only how often it logs and saves, not what it computes. */
    private static final Set<String> HARMLESS = Set.of("save-every", "log-every");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root = JSON.createObjectNode();

    private RunRecord(String trainer, TrainingConfig config) {
        root.put("trainer", trainer);
        ObjectNode settings = root.putObject("settings");
        config.toMap().forEach((k, v) -> {
            if (!HARMLESS.contains(k)) {
                settings.set(k, JSON.valueToTree(v));
            }
        });
        root.putObject("models");
    }

    /** A record of a {@code trainer} ("sft", "dpo", "rm") run with the shared settings of {@code config}. */
    public static RunRecord of(String trainer, TrainingConfig config) {
        return new RunRecord(trainer, config);
    }

    /** The model the run starts from or compares against in {@code role} ("base", "reference"), by content. */
    public RunRecord model(String role, Path dir) {
        ((ObjectNode) root.get("models")).putObject(role).put("path", dir.toAbsolutePath().normalize().toString())
                .put("sha256", ModelFolder.fingerprint(dir));
        return this;
    }

    /** LoRA's settings when on (a run of other adapters is another run); nothing for a full fine-tune. */
    public RunRecord lora(dev.herd.llama.lora.LoraConfig lora) {
        return lora.enabled() ? setting("lora", lora.toJson()) : this;
    }

    /** A trainer's own setting (DPO's beta, SFT's packing); a set is recorded sorted. */
    public RunRecord setting(String key, Object value) {
        Object v = value instanceof Collection<?> c ? new TreeSet<>(c.stream().map(String::valueOf).toList()) : value;
        ((ObjectNode) root.get("settings")).set(key, JSON.valueToTree(v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : v));
        return this;
    }

    /** The training examples, in order, each fed into the digest by {@code feed}. */
    public <E> RunRecord data(List<E> examples, BiConsumer<E, ExampleDigest> feed) {
        ExampleDigest d = new ExampleDigest();
        for (E e : examples) {
            feed.accept(e, d);
        }
        root.putObject("data").put("examples", examples.size()).put("sha256", d.hex());
        return this;
    }

    /** The record as written to run.json (numbers as they read back, so a saved record compares equal). */
    JsonNode json() {
        try {
            return JSON.readTree(JSON.writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * How {@code saved} differs from this record, as the middle of "this run was started …", or null when a
     * resume is safe. Settings come first: a changed --max-seq-len changes the data too, and is the clearer cause.
     */
    String difference(JsonNode saved) {
        JsonNode now = json();
        String was = saved.path("trainer").asText();
        if (!was.equals(now.get("trainer").asText())) {
            return "by herd " + was + ", not herd " + now.get("trainer").asText();
        }
        JsonNode s = saved.path("settings");
        for (Iterator<Map.Entry<String, JsonNode>> it = now.get("settings").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = s.get(e.getKey());
            if (!e.getValue().equals(old)) {
                return "with --" + e.getKey() + " " + (old == null ? "unset" : text(old)) + ", not " + text(e.getValue());
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = now.get("models").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = saved.path("models").path(e.getKey());
            if (!e.getValue().get("sha256").equals(old.get("sha256"))) {
                return "from another " + e.getKey() + " model (" + old.path("path").asText("?") + ", sha256 "
                        + shortHash(old) + "; now " + e.getValue().get("path").asText() + ", sha256 " + shortHash(e.getValue()) + ")";
            }
        }
        JsonNode data = now.get("data");
        JsonNode old = saved.path("data");
        if (!data.get("sha256").equals(old.get("sha256"))) {
            return "from other training data (" + old.path("examples").asText("?") + " examples, sha256 " + shortHash(old)
                    + "; now " + data.get("examples").asText() + " examples, sha256 " + shortHash(data) + ")";
        }
        return null;
    }

    private static String text(JsonNode v) {
        return v.isTextual() ? v.asText() : v.toString();
    }

    private static String shortHash(JsonNode n) {
        String h = n.path("sha256").asText("?");
        return h.length() > 12 ? h.substring(0, 12) + "…" : h;
    }
}
