package dev.herd.llama.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TokenBatch;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print the fp32 logits of a token sequence as JSON {\"logits\": [[...], ...]}, one row per position.")
public final class LogitsCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (config.json + safetensors; no tokenizer needed).")
    Path model;

    @Option(names = "--ids", required = true, split = ",", description = "Comma-separated token ids, e.g. 128000,9906,1917")
    long[] ids;

    @Option(names = "--out", description = "Write the JSON here instead of stdout.")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto. Default: ${DEFAULT-VALUE}")
    String device;

    @Override
    public Integer call() throws IOException {
        if (ids.length == 0) {
            throw new HerdInputException("--ids: no token ids given (e.g. --ids 128000,9906)");
        }
        Path outDir = out == null ? null : out.toAbsolutePath().getParent();
        if (outDir != null && !Files.isDirectory(outDir)) {
            throw new HerdInputException("--out " + out + ": folder " + outDir + " does not exist");
        }
        try (LlamaModel m = ModelFolder.load(model, Devices.parse(device)); NDManager step = m.newStepManager()) {
            for (long id : ids) {
                if (id < 0 || id >= m.config().vocabSize()) {
                    throw new HerdInputException("--ids: token id " + id + " is outside the vocabulary [0, " + m.config().vocabSize() + ")");
                }
            }
            long[] pos = new long[ids.length];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = i;
            }
            NDArray logits = m.forward(TokenBatch.of(step, 1, ids.length, ids, pos, new int[ids.length]));
            float[] flat = logits.toFloatArray();
            int vocab = m.config().vocabSize();
            if (out != null) {
                Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".logits", ".tmp");
                try (OutputStream os = Files.newOutputStream(tmp)) {
                    write(os, flat, ids.length, vocab);
                }
                Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                PrintStream ps = System.out;
                write(ps, flat, ids.length, vocab);
                ps.println();
                ps.flush();
            }
        }
        return 0;
    }

    private static void write(OutputStream os, float[] flat, int rows, int vocab) throws IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(os).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            g.writeStartObject();
            g.writeArrayFieldStart("logits");
            for (int r = 0; r < rows; r++) {
                g.writeStartArray();
                for (int v = 0; v < vocab; v++) {
                    g.writeNumber(flat[r * vocab + v]);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }
}
