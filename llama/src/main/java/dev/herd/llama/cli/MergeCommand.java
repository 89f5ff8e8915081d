package dev.herd.llama.cli;

import ai.djl.Device;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.lora.AdapterFolder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merges a LoRA adapter folder (PEFT layout, as herd sft/dpo --lora-r write) into its base: a plain HF "
                + "model folder with W + (alpha/r)·B·A in place of every adapted weight, in fp32, with the base's tokenizer.")
public final class MergeCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "The base model folder the adapter was trained on.")
    Path base;

    @Option(names = "--adapter", required = true, description = "The adapter folder (adapter_config.json, adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--out", required = true, description = "Model folder to write.")
    Path out;

    @Override
    public Integer call() {
        ModelFolder.checkReplaceable(out);          // before the work, not after it
        AdapterFolder.Header h = AdapterFolder.header(adapter);
        try (LlamaModel m = AdapterFolder.loadMerged(base, adapter, Device.cpu())) {
            ModelFolder.save(m, out, base);
        }
        System.out.printf("wrote %s: %s + (%s/%d)·B·A on %s%n", out, base, h.lora().alpha(), h.lora().r(),
                String.join(",", h.lora().targets().stream().map(t -> t.hfName()).toList()));
        return 0;
    }
}
