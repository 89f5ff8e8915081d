package dev.herd.llama;

import dev.herd.common.HerdInputException;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.llama.vocab.VocabPruner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes a randomly initialised Llama 3.1 model (normal init) as a complete HF model folder. */
public final class ModelInit {

    /** What was written. */
    public record Result(Path model, LlamaConfig config, String vocabSummary) {}

    private ModelInit() {}

    /** Writes the model to {@code out} (an existing folder only if Herd wrote it). */
    public static Result write(InitConfig c, Path out) {
        ModelFolder.checkReplaceable(out);
        Path pruned = null;
        String summary = null;
        if (!c.vocabFrom().isEmpty()) {
            pruned = out.toAbsolutePath().resolveSibling(out.getFileName() + ".tokenizer-" + ProcessHandle.current().pid());
            VocabPruner.Result r = VocabPruner.prune(c.tokenizer(), VocabPruner.readCorpus(c.vocabFrom()), pruned);
            summary = String.format("%s, from %,d texts of %d file(s)", r.summary(), r.texts(), c.vocabFrom().size());
        }
        try {
            return new Result(out, write(c, out, pruned != null ? pruned : c.tokenizer()), summary);
        } finally {
            if (pruned != null) {
                ModelFolder.deleteTree(pruned);
            }
        }
    }

    private static LlamaConfig write(InitConfig c, Path out, Path tokenizer) {
        int vocabSize = c.vocab() != null ? c.vocab() : 128256;
        int bos = 128000;
        List<Integer> eos = List.of(128001, 128008, 128009);
        if (tokenizer != null) {
            try (LlamaTokenizer t = LlamaTokenizer.load(tokenizer)) {
                if (c.vocab() == null) {
                    vocabSize = t.vocabSize();
                } else if (t.vocabSize() > c.vocab()) {
                    throw new HerdInputException(tokenizer.resolve("tokenizer.json") + ": the tokenizer has "
                            + t.vocabSize() + " tokens but --vocab is " + c.vocab());
                }
                bos = t.bosId();
                eos = new ArrayList<>(t.stopIds());
            }
        }
        LlamaConfig config;
        try {
            config = new LlamaConfig(c.hidden(), c.intermediate(), c.layers(), c.heads(), c.kvHeads(),
                    c.headDim() != null ? c.headDim() : c.hidden() / Math.max(1, c.heads()), 1e-5, c.ropeTheta(),
                    c.ropeScaling().equals("llama3") ? RopeScaling.llama31() : null, c.maxPositions(), vocabSize,
                    c.tieEmbeddings(), bos, eos);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException("init-model: " + e.getMessage());
        }
        try (LlamaModel model = LlamaModel.random(config, c.seed(), c.std(), Devices.parse("cpu"))) {
            ModelFolder.save(model, out, tokenizer);
        }
        return config;
    }
}
