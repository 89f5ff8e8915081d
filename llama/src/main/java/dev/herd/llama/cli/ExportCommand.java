package dev.herd.llama.cli;

import dev.herd.llama.gguf.GgufExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code herd export}: a model folder in another format. */
@Command(name = "export", mixinStandardHelpOptions = true, subcommands = ExportCommand.Gguf.class,
        description = "Write a model folder in another format (gguf: for llama.cpp, Ollama, LM Studio).")
public final class ExportCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a format: herd export gguf ...");
    }

    @Command(name = "gguf", mixinStandardHelpOptions = true,
            description = "Write a model folder as one GGUF v3 file for llama.cpp: llama.* metadata, the Llama 3 "
                    + "tokenizer (gpt2 / llama-bpe) with its chat template, the weights under llama.cpp's names (q/k "
                    + "rows in GGUF's RoPE layout, rope_freqs for Llama 3.1's scaling); norms stay f32.")
    public static final class Gguf implements Callable<Integer> {

        @Option(names = "--model", required = true, description = "Model folder (config.json, safetensors, tokenizer files).")
        Path model;

        @Option(names = "--out", required = true, description = "GGUF file to write (replaced if it exists).")
        Path out;

        @Option(names = "--dtype", defaultValue = "f16", description = "f32, f16 or q8_0 for the matrices. Default: ${DEFAULT-VALUE}")
        String dtype;

        @Option(names = "--name", description = "general.name (default: the model folder's name).")
        String name;

        @Override
        public Integer call() {
            GgufExport.Result r = GgufExport.export(model, out, GgufExport.Dtype.parse(dtype), name);
            System.out.printf("wrote %s: %d tensors, vocab %d, %s, %,d bytes%n", out, r.tensors(), r.vocab(),
                    dtype.toLowerCase(java.util.Locale.ROOT), r.bytes());
            return 0;
        }
    }
}
