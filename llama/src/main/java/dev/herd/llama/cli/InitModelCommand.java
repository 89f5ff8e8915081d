package dev.herd.llama.cli;

import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.RopeScaling;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.tokenizer.VocabPruner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init-model", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised Llama 3.1 model (normal init, std 0.02) as a complete HF model folder.")
public final class InitModelCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Model folder to create (an existing one only if Herd wrote it).")
    Path out;

    @Option(names = "--hidden", required = true, description = "hidden_size")
    int hidden;

    @Option(names = "--layers", required = true, description = "num_hidden_layers")
    int layers;

    @Option(names = "--heads", required = true, description = "num_attention_heads")
    int heads;

    @Option(names = "--kv-heads", required = true, description = "num_key_value_heads (GQA when fewer than heads)")
    int kvHeads;

    @Option(names = "--intermediate", required = true, description = "intermediate_size of the SwiGLU MLP")
    int intermediate;

    @Option(names = "--vocab", description = "vocab_size (default: the tokenizer's size, else 128256)")
    Integer vocab;

    @Option(names = "--head-dim", description = "head_dim (default hidden / heads)")
    Integer headDim;

    @Option(names = "--tokenizer", description = "Folder with tokenizer.json (+ tokenizer_config.json) to copy into the model.")
    Path tokenizer;

    @Option(names = "--vocab-from", arity = "1..*", paramLabel = "FILE", description = {
        "Prune the --tokenizer's vocabulary to the tokens these files use and size the model to it: for small models "
            + "whose embedding and LM head are most of their parameters. Files: JSONL (every string value, chat "
            + "messages' contents included) or plain text (the text and each line). Keeps the merges, the special "
            + "tokens and the 256 byte tokens, renumbered densely. On these files the ids map one-to-one to the full "
            + "tokenizer's; other text still encodes and decodes exactly, through byte tokens where words are missing."})
    List<Path> vocabFrom;

    @Option(names = "--rope-scaling", defaultValue = "llama3", description = "llama3 (Llama 3.1's) or none. Default: ${DEFAULT-VALUE}")
    String ropeScaling;

    @Option(names = "--rope-theta", defaultValue = "500000", description = "RoPE base. Default: ${DEFAULT-VALUE}")
    double ropeTheta;

    @Option(names = "--max-position-embeddings", defaultValue = "131072", description = "Default: ${DEFAULT-VALUE}")
    int maxPositions;

    @Option(names = "--tie-embeddings", description = "Share the embedding matrix with the LM head.")
    boolean tie;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--std", defaultValue = "0.02", description = "Standard deviation of the init. Default: ${DEFAULT-VALUE}")
    double std;

    @Override
    public Integer call() {
        ModelFolder.checkReplaceable(out);
        RopeScaling scaling = switch (ropeScaling) {
            case "llama3" -> RopeScaling.llama31();
            case "none" -> null;
            default -> throw new HerdInputException("--rope-scaling must be llama3 or none, got " + ropeScaling);
        };
        int vocabSize = vocab != null ? vocab : 128256;
        Path pruned = null;
        if (vocabFrom != null) {
            if (tokenizer == null) {
                throw new HerdInputException("init-model: --vocab-from needs --tokenizer (the full tokenizer to prune)");
            }
            pruned = out.toAbsolutePath().resolveSibling(out.getFileName() + ".tokenizer-" + ProcessHandle.current().pid());
            VocabPruner.Result r = VocabPruner.prune(tokenizer, VocabPruner.readCorpus(vocabFrom), pruned);
            System.out.printf("%s, from %,d texts of %d file(s)%n", r.summary(), r.texts(), vocabFrom.size());
        }
        try {
            return write(scaling, vocabSize, pruned != null ? pruned : tokenizer);
        } finally {
            if (pruned != null) {
                ModelFolder.deleteTree(pruned);
            }
        }
    }

    private int write(RopeScaling scaling, int vocabSize, Path tokenizer) {
        int bos = 128000;
        List<Integer> eos = List.of(128001, 128008, 128009);
        if (tokenizer != null) {
            try (LlamaTokenizer t = LlamaTokenizer.load(tokenizer)) {
                if (vocab == null) {
                    vocabSize = t.vocabSize();
                } else if (t.vocabSize() > vocab) {
                    throw new HerdInputException(tokenizer.resolve("tokenizer.json") + ": the tokenizer has "
                            + t.vocabSize() + " tokens but --vocab is " + vocab);
                }
                bos = t.bosId();
                eos = new ArrayList<>(t.stopIds());
            }
        }
        LlamaConfig config;
        try {
            config = new LlamaConfig(hidden, intermediate, layers, heads, kvHeads, headDim != null ? headDim : hidden / Math.max(1, heads),
                    1e-5, ropeTheta, scaling, maxPositions, vocabSize, tie, bos, eos);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException("init-model: " + e.getMessage());
        }
        try (LlamaModel model = LlamaModel.random(config, seed, std, Devices.parse("cpu"))) {
            ModelFolder.save(model, out, tokenizer);
        }
        System.out.printf("wrote %s: %,d parameters (hidden %d, %d layers, %d/%d heads, vocab %d)%n", out,
                config.parameterCount(), hidden, layers, heads, kvHeads, vocabSize);
        return 0;
    }
}
