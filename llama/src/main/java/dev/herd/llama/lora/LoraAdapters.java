package dev.herd.llama.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.Tensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LoRA adapters of one decoder: for each layer and targeted projection, A [r, in] and B [out, r], named as
 * PEFT saves them ({@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight}). A model that
 * {@linkplain LlamaModel#useAdapters uses} them adds {@code (alpha/r) · dropout(x) Aᵀ Bᵀ} to each targeted
 * projection's output; the base weights are never changed (until {@link #mergeInto}).
 *
 * <p>The arrays live in a sub-manager of the model's, on its device; closing the model frees them too.
 */
public final class LoraAdapters implements AutoCloseable {

    /** PEFT's prefix of a causal LM's (and a sequence classifier's) decoder modules. */
    public static final String PREFIX = "base_model.model.";

    private final LlamaConfig base;
    private final LoraConfig lora;
    private final NDManager manager;
    private final NDArray[][] a;         // [layer][target] → A [r, in]; null where not targeted
    private final NDArray[][] b;         // [layer][target] → B [out, r]
    private final Map<String, NDArray> parameters;

    /** Supplies one adapter tensor's fp32 values by PEFT name. */
    @FunctionalInterface
    public interface TensorSource {
        float[] read(String name, long[] expectedShape);
    }

    private LoraAdapters(LlamaConfig base, LoraConfig lora, NDManager manager, TensorSource source) {
        this.base = base;
        this.lora = lora;
        this.manager = manager;
        int layers = base.numHiddenLayers();
        int n = LoraTarget.values().length;
        this.a = new NDArray[layers][n];
        this.b = new NDArray[layers][n];
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (int i = 0; i < layers; i++) {
            for (LoraTarget t : lora.targets()) {
                long[] aShape = {lora.r(), t.in(base)};
                long[] bShape = {t.out(base), lora.r()};
                a[i][t.ordinal()] = array(byName, nameA(i, t), aShape, source);
                b[i][t.ordinal()] = array(byName, nameB(i, t), bShape, source);
            }
        }
        this.parameters = Collections.unmodifiableMap(byName);
    }

    private NDArray array(Map<String, NDArray> byName, String name, long[] shape, TensorSource source) {
        NDArray x = manager.create(source.read(name, shape), new Shape(shape));
        x.setName(name);
        byName.put(name, x);
        return x;
    }

    /** PEFT's name of A for {@code target} in layer {@code layer}. */
    public static String nameA(int layer, LoraTarget target) {
        return PREFIX + "model.layers." + layer + "." + target.path + ".lora_A.weight";
    }

    /** PEFT's name of B for {@code target} in layer {@code layer}. */
    public static String nameB(int layer, LoraTarget target) {
        return PREFIX + "model.layers." + layer + "." + target.path + ".lora_B.weight";
    }

    /**
     * Fresh adapters for {@code model} as PEFT initialises them: A ~ U(−1/√in, 1/√in) (torch's
     * {@code kaiming_uniform_(a=√5)}), B = 0, so the adapted model starts equal to the base. Drawn in Java from
     * {@code seed}, one stream per tensor in name order, so a seed gives the same adapters on any device.
     */
    public static LoraAdapters init(LlamaModel model, LoraConfig lora, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        return of(model, lora, (name, shape) -> {
            float[] v = new float[Math.toIntExact(shape[0] * shape[1])];
            if (name.endsWith(".lora_A.weight")) {
                SplittableRandom r = root.split();
                double bound = 1.0 / Math.sqrt(shape[1]);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
                }
            }
            return v;
        });
    }

    /** Adapters for {@code model} with the values {@code source} gives (a saved adapter, a test's). */
    public static LoraAdapters of(LlamaModel model, LoraConfig lora, TensorSource source) {
        if (!lora.enabled()) {
            throw new IllegalArgumentException("LoRA adapters need a rank r > 0");
        }
        NDManager m = model.newStepManager();
        try {
            return new LoraAdapters(model.config(), lora, m, source);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    public LoraConfig lora() {
        return lora;
    }

    /** The trainable arrays by PEFT name: per layer, per target, A then B. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** Adapter parameters in all: r·(in + out) per layer and target. */
    public long parameterCount() {
        return parameters.values().stream().mapToLong(NDArray::size).sum();
    }

    /**
     * {@code y + (alpha/r) · dropout(x) Aᵀ Bᵀ} for {@code target} of layer {@code layer}, or {@code y} when it has
     * no adapter. Dropout applies only under a gradient collector (training), as PEFT's only in train mode.
     *
     * @param x [.., in] the projection's input
     * @param y [.., out] the base projection's output, x Wᵀ
     * @return [.., out]
     */
    public NDArray addTo(int layer, LoraTarget target, NDArray x, NDArray y) {
        NDArray at = a[layer][target.ordinal()];
        if (at == null) {
            return y;
        }
        NDArray in = lora.dropout() > 0 && JniUtils.isGradMode()
                ? x.getNDArrayInternal().dropout(x, (float) lora.dropout(), true).singletonOrThrow()    // [.., in]
                : x;
        // Scaling the rank-r activations rather than the output: r numbers per token instead of out.
        NDArray low = linear(in, at).mul(Tensors.scalar(x.getManager(), (float) lora.scale()));  // [.., r]
        return y.add(linear(low, b[layer][target.ordinal()]));                                     // [.., out]
    }

    /** x Wᵀ with W in [out, in] layout, as one native call. */
    private static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }

    /**
     * Adds {@code (alpha/r)·B·A} to each targeted weight of {@code model} in place: the model then computes
     * what base plus adapters did, with no adapter work per token. {@code model} must not use these adapters.
     */
    public void mergeInto(LlamaModel model) {
        if (model.adapters() == this) {
            throw new IllegalStateException("merging adapters into a model that still adds them would count them twice");
        }
        Map<String, NDArray> weights = model.parameters();
        for (int i = 0; i < base.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                NDArray w = weights.get(t.weightName(i));                    // [out, in]
                try (NDManager tmp = manager.newSubManager()) {
                    NDArray delta = b[i][t.ordinal()].matMul(a[i][t.ordinal()]);       // [out, r]·[r, in] = [out, in]
                    delta.attach(tmp);
                    NDArray scaled = delta.mul(Tensors.scalar(tmp, (float) lora.scale()));
                    scaled.attach(tmp);
                    w.addi(scaled);
                }
            }
        }
    }

    /** Turns gradient tracking of every adapter array on or off (the base's stays off). */
    public void requireGradients(boolean on) {
        parameters.values().forEach(p -> p.setRequiresGradient(on));
    }

    @Override
    public void close() {
        manager.close();
    }
}
