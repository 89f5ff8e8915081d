package dev.herd.llama.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.lora.AdapterFolder;
import dev.herd.llama.lora.LoraAdapters;
import dev.herd.llama.lora.LoraConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a {@link TrainerRun} trains and writes out: a decoder (SFT, DPO) or a reward model. The caller opens and
 * closes the model itself; this is only the view the shared run needs.
 */
public interface Trainee {

    /** The decoder's shape, for planning memory ({@link MemoryPlan}); null when unknown. */
    default dev.herd.llama.LlamaConfig config() {
        return null;
    }

    /** How many numbers are trained (and have AdamW state), for the memory plan: the whole decoder unless overridden. */
    default long trainableParameters() {
        return config() == null ? 0 : config().parameterCount();
    }

    /** The trained arrays, by checkpoint name. */
    Map<String, NDArray> parameters();

    NDManager newStepManager();

    void requireGradients(boolean on);

    /** Writes the model folder {@code out}; {@code extra} adds the run's files to it before it is moved into place. */
    void save(Path out, ModelFolder.FolderWriter extra);

    /**
     * The decoder trained whole ({@code lora} off) or through LoRA adapters on its frozen weights: fresh adapters
     * from {@code seed} that the model then adds, saved as a PEFT adapter folder for the base {@code base}.
     */
    static Trainee decoder(LlamaModel model, Path base, LoraConfig lora, long seed) {
        if (!lora.enabled()) {
            return decoder(model, base);
        }
        LoraAdapters adapters = LoraTraining.attach(model, lora, seed);
        return new Trainee() {
            @Override
            public dev.herd.llama.LlamaConfig config() {
                return model.config();
            }

            @Override
            public long trainableParameters() {
                return adapters.parameterCount();
            }

            @Override
            public Map<String, NDArray> parameters() {
                return adapters.parameters();
            }

            @Override
            public NDManager newStepManager() {
                return model.newStepManager();
            }

            @Override
            public void requireGradients(boolean on) {
                adapters.requireGradients(on);
            }

            @Override
            public void save(Path out, ModelFolder.FolderWriter extra) {
                AdapterFolder.save(out, adapters, base, AdapterFolder.CAUSAL_LM, Map.of(), base, extra);
            }
        };
    }

    /** A decoder written as an HF causal-LM folder, with the tokenizer and chat template of {@code tokenizerFrom}. */
    static Trainee decoder(LlamaModel model, Path tokenizerFrom) {
        return new Trainee() {
            @Override
            public dev.herd.llama.LlamaConfig config() {
                return model.config();
            }

            @Override
            public Map<String, NDArray> parameters() {
                return model.parameters();
            }

            @Override
            public NDManager newStepManager() {
                return model.newStepManager();
            }

            @Override
            public void requireGradients(boolean on) {
                model.requireGradients(on);
            }

            @Override
            public void save(Path out, ModelFolder.FolderWriter extra) {
                ModelFolder.save(model, out, tokenizerFrom, extra);
            }
        };
    }
}
