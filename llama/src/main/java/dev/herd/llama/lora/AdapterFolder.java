package dev.herd.llama.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsReader;
import dev.herd.llama.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LoRA adapter folder as PEFT writes and {@code PeftModel.from_pretrained} reads it: {@code adapter_config.json}
 * ({@code peft_type} LORA, {@code r}, {@code lora_alpha}, {@code target_modules}, {@code base_model_name_or_path},
 * {@code task_type}) and {@code adapter_model.safetensors} with PEFT's tensor names, plus the base's tokenizer
 * files so the folder can stand in for a model wherever Herd takes one.
 */
public final class AdapterFolder {

    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** A causal LM's adapter (SFT, DPO). */
    public static final String CAUSAL_LM = "CAUSAL_LM";
    /** A sequence classifier's adapter (the reward model), with its score head saved whole. */
    public static final String SEQ_CLS = "SEQ_CLS";

    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterFolder() {}

    /**
     * What {@code adapter_config.json} says.
     *
     * @param base the base model folder ({@code base_model_name_or_path})
     * @param task {@link #CAUSAL_LM} or {@link #SEQ_CLS}
     */
    public record Header(Path dir, LoraConfig lora, String base, String task) {}

    /** Whether {@code dir} holds an adapter rather than a whole model. */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG)) && !Files.exists(dir.resolve("config.json"));
    }

    /** Reads and checks {@code dir/adapter_config.json}; every problem is one line naming the file and key. */
    public static Header header(Path dir) {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new HerdInputException(dir + ": no " + CONFIG + " (not a LoRA adapter folder)");
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HerdInputException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (n == null || !n.isObject()) {
            throw new HerdInputException(file + ": expected a JSON object");
        }
        if (!"LORA".equals(n.path("peft_type").asText())) {
            throw new HerdInputException(file + ": peft_type is " + n.path("peft_type") + "; Herd reads LORA adapters");
        }
        JsonNode r = n.get("r");
        if (r == null || !r.canConvertToInt() || !r.isIntegralNumber() || r.asInt() <= 0) {
            throw new HerdInputException(file + ": 'r' must be a positive integer, got " + r);
        }
        JsonNode alpha = n.get("lora_alpha");
        if (alpha != null && !(alpha.isNumber() && alpha.asDouble() > 0)) {
            throw new HerdInputException(file + ": 'lora_alpha' must be a positive number, got " + alpha);
        }
        for (String off : List.of("use_dora", "use_rslora", "fan_in_fan_out")) {
            if (n.path(off).asBoolean(false)) {
                throw new HerdInputException(file + ": '" + off + "' is true; Herd reads plain LoRA adapters only");
            }
        }
        for (String none : List.of("layers_to_transform", "rank_pattern", "alpha_pattern")) {
            JsonNode v = n.get(none);
            if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty())) {
                throw new HerdInputException(file + ": '" + none + "' is set; Herd reads adapters of one rank on every layer");
            }
        }
        String bias = n.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new HerdInputException(file + ": bias is '" + bias + "'; Herd's decoder has no biases (bias \"none\")");
        }
        List<LoraTarget> targets = new ArrayList<>();
        JsonNode modules = n.get("target_modules");
        List<String> names = new ArrayList<>();
        if (modules != null && modules.isArray()) {
            modules.forEach(m -> names.add(m.asText()));
        } else if (modules != null && modules.isTextual()) {
            names.add(modules.asText());        // PEFT's string form is a regex; one plain module name reads the same
        }
        for (String m : names) {
            LoraTarget t = LoraTarget.parse(m);
            if (t == null || m.strip().equals(t.shortName)) {
                throw new HerdInputException(file + ": target module '" + m + "' is not one of q_proj, k_proj, v_proj, "
                        + "o_proj, gate_proj, up_proj, down_proj");
            }
            targets.add(t);
        }
        if (targets.isEmpty()) {
            throw new HerdInputException(file + ": 'target_modules' must list the adapted projections (q_proj, ...)");
        }
        String task = n.path("task_type").asText(CAUSAL_LM);
        if (!task.equals(CAUSAL_LM) && !task.equals(SEQ_CLS)) {
            throw new HerdInputException(file + ": task_type is " + task + "; Herd reads CAUSAL_LM and SEQ_CLS adapters");
        }
        LoraConfig lora;
        try {
            lora = new LoraConfig(r.asInt(), alpha == null ? 8.0 : alpha.asDouble(), n.path("lora_dropout").asDouble(0.0), targets);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(file + ": " + e.getMessage());
        }
        return new Header(dir, lora, n.path("base_model_name_or_path").asText(null), task);
    }

    /**
     * Writes {@code adapters} (and {@code extra} tensors, e.g. the reward model's score head, under their PEFT
     * names) as an adapter folder at {@code out} for the base {@code base}, atomically as every Herd folder.
     *
     * @param tokenizerFrom whose tokenizer files to copy along (null: none)
     * @param more          adds the run's files (metrics) before the folder is moved into place
     */
    public static void save(Path out, LoraAdapters adapters, Path base, String task, Map<String, NDArray> extra,
                            Path tokenizerFrom, ModelFolder.FolderWriter more) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        adapters.parameters().forEach((name, x) -> entries.add(entry(name, x)));
        extra.forEach((name, x) -> entries.add(entry(name, x)));
        LoraConfig lora = adapters.lora();
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", task);
        c.put("base_model_name_or_path", base.toAbsolutePath().normalize().toString());
        c.put("r", lora.r());
        if (lora.alpha() == Math.rint(lora.alpha())) {
            c.put("lora_alpha", (long) lora.alpha());          // PEFT's type is int; write one when it is one
        } else {
            c.put("lora_alpha", lora.alpha());
        }
        c.put("lora_dropout", lora.dropout());
        ArrayNode targets = c.putArray("target_modules");
        lora.targets().forEach(t -> targets.add(t.hfName()));
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        if (task.equals(SEQ_CLS)) {
            c.putArray("modules_to_save").add("score");
        } else {
            c.putNull("modules_to_save");
        }
        ModelFolder.writeAtomically(out, tmp -> {
            Files.writeString(tmp.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
            SafetensorsWriter.write(tmp.resolve(WEIGHTS), entries, Map.of());
            if (tokenizerFrom != null) {
                ModelFolder.copyTokenizer(tokenizerFrom, tmp);
            }
            more.write(tmp);
        });
    }

    private static SafetensorsWriter.Entry entry(String name, NDArray x) {
        return new SafetensorsWriter.Entry(name, DType.F32, x.getShape().getShape(), x::toFloatArray);
    }

    /**
     * The adapters of {@code dir} for {@code model}, every tensor checked: a missing tensor, a wrong shape (an
     * {@code r} that does not match the file, another base's sizes) or a tensor no adapter of this base has is one
     * line naming the file and the tensor.
     *
     * @param extra tensors besides the adapters the folder may hold (the reward model's score head)
     */
    public static LoraAdapters load(Path dir, LlamaModel model, Set<String> extra) {
        Header h = header(dir);
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) {
            throw new HerdInputException(dir + ": no " + WEIGHTS + (Files.exists(dir.resolve("adapter_model.bin"))
                    ? " (adapter_model.bin is PyTorch pickle; save with safe_serialization=True)" : ""));
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            Set<String> expected = new HashSet<>(extra);
            LoraAdapters a = LoraAdapters.of(model, h.lora(), (name, shape) -> {
                expected.add(name);
                if (!reader.tensors().containsKey(name)) {
                    throw new HerdInputException(file + ": no tensor " + name + " (" + CONFIG + " targets "
                            + h.lora().targets().stream().map(LoraTarget::hfName).toList() + " on "
                            + model.config().numHiddenLayers() + " layers)");
                }
                long[] got = reader.info(name).shape();
                if (!Arrays.equals(got, shape)) {
                    throw new HerdInputException(file + ": tensor " + name + " has shape " + Arrays.toString(got)
                            + " but r " + h.lora().r() + " (" + CONFIG + ") and the base's config.json imply " + Arrays.toString(shape));
                }
                return reader.readFloats(name);
            });
            for (String name : reader.tensors().keySet()) {
                if (!expected.contains(name)) {
                    a.close();
                    throw new HerdInputException(file + ": unexpected tensor " + name + " (no adapter of " + CONFIG
                            + " on this base has it)");
                }
            }
            return a;
        }
    }

    /** One extra tensor of an adapter folder (the reward model's score head), shape checked. */
    public static float[] readTensor(Path dir, String name, long[] shape) {
        Path file = dir.resolve(WEIGHTS);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            long[] got = reader.info(name).shape();
            if (!Arrays.equals(got, shape)) {
                throw new HerdInputException(file + ": tensor " + name + " has shape " + Arrays.toString(got) + ", expected "
                        + Arrays.toString(shape));
            }
            return reader.readFloats(name);
        }
    }

    /** The base folder {@code adapter_config.json} names, which must be a model folder here. */
    public static Path baseOf(Header h) {
        if (h.base() == null || h.base().isBlank() || !Files.isDirectory(Path.of(h.base()))
                || Path.of(h.base()).toAbsolutePath().normalize().equals(h.dir().toAbsolutePath().normalize())) {
            throw new HerdInputException(h.dir().resolve(CONFIG) + ": base_model_name_or_path '" + h.base()
                    + "' is not a model folder here; give the base with --model BASE --adapter " + h.dir());
        }
        return Path.of(h.base());
    }

    /**
     * The causal LM {@code base} with the adapter of {@code adapterDir} merged into its weights (W + (alpha/r)·B·A):
     * a plain model that computes base plus adapters at the base's speed.
     */
    public static LlamaModel loadMerged(Path base, Path adapterDir, Device device) {
        Header h = header(adapterDir);
        if (!h.task().equals(CAUSAL_LM)) {
            throw new HerdInputException(adapterDir.resolve(CONFIG) + ": task_type is " + h.task()
                    + ", not a causal LM's adapter (a reward model's adapter is read by the reward-model commands)");
        }
        LlamaModel model = ModelFolder.load(base, device);
        try (LoraAdapters a = load(adapterDir, model, Set.of())) {
            a.mergeInto(model);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The adapter folder {@code adapterDir} on the base it names, merged. */
    public static LlamaModel loadMerged(Path adapterDir, Device device) {
        return loadMerged(baseOf(header(adapterDir)), adapterDir, device);
    }
}
