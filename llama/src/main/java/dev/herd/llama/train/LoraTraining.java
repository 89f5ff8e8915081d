package dev.herd.llama.train;

import ai.djl.pytorch.jni.JniUtils;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;

/** Puts fresh LoRA adapters on a model about to be trained through them. */
public final class LoraTraining {

    private LoraTraining() {}

    /**
     * Fresh adapters from {@code seed} that {@code model} adds from now on; its own weights stay frozen (they
     * never require gradients, so backward computes none for them and AdamW keeps no state for them).
     */
    public static LoraAdapters attach(LlamaModel model, LoraConfig lora, long seed) {
        model.requireGradients(false);
        LoraAdapters adapters = LoraAdapters.init(model, lora, seed);
        if (lora.dropout() > 0) {
            // Dropout masks come from libtorch's generator: seed it, so a run's masks follow from its seed.
            JniUtils.setSeed(seed);
        }
        model.useAdapters(adapters);
        return adapters;
    }
}
