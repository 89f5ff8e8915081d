package dev.herd.rm;

import dev.herd.common.Gaussian;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.Attention;
import dev.herd.common.HerdInputException;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaConfig;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.io.CheckpointFiles;
import dev.herd.llama.io.DType;
import dev.herd.llama.io.SafetensorsWriter;
import dev.herd.llama.lora.AdapterFolder;
import dev.herd.llama.lora.LoraAdapters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A reward model: the shared Llama decoder and a scalar head on the final hidden state of a sequence's last
 * token, saved in HF's {@code LlamaForSequenceClassification} layout ({@code score.weight} [1, hidden],
 * {@code num_labels} 1, no LM head) so it loads in transformers too.
 *
 * <p>A ranking is scored as one packed row: the prompt once, then each response attending only to the prompt
 * and itself (positions continuing from the prompt), the reward read at each response's last token. That is
 * the same reward as scoring each (prompt, response) alone, for the prompt's compute once.
 */
public final class RewardModel implements AutoCloseable {

    /** The pad id written to config.json: Llama 3.1's reserved right-pad token, so HF reads the last real token. */
    static final int PAD_ID = 128004;

    private final LlamaModel decoder;
    private final NDManager manager;
    private final NDArray score;     // [1, hidden]
    private final LlamaConfig savedConfig;

    private RewardModel(LlamaModel decoder, float[] score, LlamaConfig savedConfig) {
        this.decoder = decoder;
        this.manager = decoder.newStepManager();
        this.score = manager.create(score, new Shape(1, decoder.config().hiddenSize()));
        this.score.setName("score.weight");
        this.savedConfig = savedConfig;
    }

    /** A new reward model from a policy or base checkpoint: its decoder, and a head ~ N(0, 0.02²) from {@code seed}. */
    public static RewardModel initFrom(Path base, long seed, Device device) {
        LlamaModel decoder = ModelFolder.load(base, device);
        float[] head = new float[decoder.config().hiddenSize()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) (0.02 * Gaussian.next(r));
        }
        return new RewardModel(decoder, head, decoder.config());
    }

    /** The score head's name in a PEFT sequence-classification adapter ({@code modules_to_save}, saved whole). */
    static final String PEFT_SCORE = LoraAdapters.PREFIX + "score.weight";

    /**
     * Loads a reward model folder written by {@link #save}, or by transformers' LlamaForSequenceClassification, or a
     * LoRA reward model (a PEFT SEQ_CLS adapter folder: its base with the adapters merged, and its score head).
     */
    public static RewardModel load(Path dir, Device device) {
        if (!Files.isDirectory(dir)) {
            throw new HerdInputException(dir + ": no such model folder");
        }
        if (AdapterFolder.isAdapter(dir)) {
            return loadAdapter(dir, device);
        }
        LlamaConfig config = LlamaConfig.load(dir);
        float[] head;
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            if (!files.has("score.weight")) {
                throw new HerdInputException(dir + ": no tensor score.weight (not a reward model; train one with herd rm train)");
            }
            if (!Arrays.equals(files.info("score.weight").shape(), new long[] {1, config.hiddenSize()})) {
                throw new HerdInputException(files.fileOf("score.weight") + ": tensor score.weight has shape "
                        + files.info("score.weight").shapeString() + ", expected [1, " + config.hiddenSize() + "] (num_labels 1)");
            }
            head = files.readFloats("score.weight");
            // No LM head in a sequence-classification checkpoint: load the decoder as if tied (the head is unused).
            LlamaConfig decoderConfig = withTied(config);
            LlamaModel decoder = LlamaModel.fromTensors(decoderConfig, (name, shape) -> {
                if (!files.has(name)) {
                    throw new HerdInputException(dir + ": checkpoint has no tensor " + name);
                }
                if (!Arrays.equals(files.info(name).shape(), shape)) {
                    throw new HerdInputException(files.fileOf(name) + ": tensor " + name + " has shape "
                            + files.info(name).shapeString() + " but config.json implies " + Arrays.toString(shape));
                }
                return files.readFloats(name);
            }, device);
            return new RewardModel(decoder, head, config);
        }
    }

    private static RewardModel loadAdapter(Path dir, Device device) {
        AdapterFolder.Header h = AdapterFolder.header(dir);
        if (!h.task().equals(AdapterFolder.SEQ_CLS)) {
            throw new HerdInputException(dir.resolve(AdapterFolder.CONFIG) + ": task_type is " + h.task()
                    + ", not a reward model's adapter (SEQ_CLS)");
        }
        LlamaModel decoder = ModelFolder.load(AdapterFolder.baseOf(h), device);
        try (LoraAdapters a = AdapterFolder.load(dir, decoder, java.util.Set.of(PEFT_SCORE))) {
            a.mergeInto(decoder);
            float[] head = AdapterFolder.readTensor(dir, PEFT_SCORE, new long[] {1, decoder.config().hiddenSize()});
            return new RewardModel(decoder, head, decoder.config());
        } catch (RuntimeException e) {
            decoder.close();
            throw e;
        }
    }

    /** The score head [1, hidden], trained whole also when the decoder trains through LoRA adapters. */
    NDArray scoreHead() {
        return score;
    }

    private static LlamaConfig withTied(LlamaConfig c) {
        return new LlamaConfig(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.maxPositionEmbeddings(),
                c.vocabSize(), true, c.bosTokenId(), c.eosTokenIds());
    }

    public LlamaConfig config() {
        return decoder.config();
    }

    public LlamaModel decoder() {
        return decoder;
    }

    public NDManager newStepManager() {
        return decoder.newStepManager();
    }

    /** Trainable arrays: the decoder's (minus an LM head, which a reward never reads) and the score head. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        decoder.parameters().forEach((k, v) -> {
            if (!k.equals("lm_head.weight")) {
                out.put(k, v);
            }
        });
        out.put("score.weight", score);
        return out;
    }

    public void requireGradients(boolean on) {
        parameters().values().forEach(p -> p.setRequiresGradient(on));
    }

    /**
     * Rewards of every response of {@code rankings}, in order (ranking by ranking, best first): [Σ responses].
     * Each ranking is one row; rows are right-padded to the longest.
     */
    public NDArray rewards(List<EncodedRanking> rankings, NDManager m) {
        int b = rankings.size();
        int width = rankings.stream().mapToInt(EncodedRanking::length).max().orElse(1);
        long[] ids = new long[b * width];
        long[] pos = new long[b * width];
        int[] docs = new int[b * width];
        float[] mask = new float[b * width * width];
        Arrays.fill(mask, -1e9f);
        List<Long> readAt = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            EncodedRanking e = rankings.get(r);
            int p = e.prompt().length;
            int[] segment = new int[width];          // 0 = prompt, i + 1 = response i, -1 = padding
            Arrays.fill(segment, -1);
            for (int j = 0; j < p; j++) {
                ids[r * width + j] = e.prompt()[j];
                pos[r * width + j] = j;
                segment[j] = 0;
            }
            int at = p;
            for (int i = 0; i < e.responses().size(); i++) {
                int[] resp = e.responses().get(i);
                for (int j = 0; j < resp.length; j++) {
                    ids[r * width + at + j] = resp[j];
                    pos[r * width + at + j] = p + j;         // as if it followed the prompt alone
                    segment[at + j] = i + 1;
                }
                at += resp.length;
                readAt.add((long) r * width + at - 1);
            }
            for (int q = 0; q < width; q++) {
                docs[r * width + q] = segment[q] < 0 ? -1 : 0;
                for (int k = 0; k <= q; k++) {
                    boolean visible = segment[q] < 0 ? k == q
                            : segment[k] == 0 || (segment[k] == segment[q]);
                    if (visible && (segment[k] >= 0 || k == q)) {
                        mask[(r * width + q) * width + k] = 0f;
                    }
                }
            }
        }
        TokenBatch batch = TokenBatch.of(m, b, width, ids, pos, docs);
        NDArray blockMask = m.create(mask, new Shape(b, 1, width, width));
        KvCache blocks = (layer, q, k, v, bt) -> Attention.attend(q, k, v, blockMask);
        NDArray hidden = decoder.hiddenStates(batch, blocks);                   // [b, width, hidden]
        long d = hidden.getShape().get(2);
        long[] at = readAt.stream().mapToLong(Long::longValue).toArray();
        NDArray last = hidden.reshape(-1, d).gather(m.create(at).reshape(at.length, 1).repeat(1, d), 0);   // [R, d]
        return last.matMul(score.transpose()).reshape(at.length);
    }

    /** The reward of each (prompt tokens, response tokens) pair, scored one ranking-row per prompt, no gradients. */
    public float[] score(List<EncodedRanking> rankings, int batchSize) {
        List<Float> out = new ArrayList<>();
        for (int i = 0; i < rankings.size(); i += batchSize) {
            try (NDManager m = newStepManager()) {
                for (float v : rewards(rankings.subList(i, Math.min(rankings.size(), i + batchSize)), m).toFloatArray()) {
                    out.add(v);
                }
            }
        }
        float[] arr = new float[out.size()];
        for (int i = 0; i < arr.length; i++) {
            arr[i] = out.get(i);
        }
        return arr;
    }

    /** Writes an HF LlamaForSequenceClassification folder (temporary sibling, then renamed). */
    public void save(Path dir, Path tokenizerFrom) {
        save(dir, tokenizerFrom, tmp -> {});
    }

    /** As {@link #save(Path, Path)}, with {@code extra} adding files (the trainer's metrics) before the rename. */
    public void save(Path dir, Path tokenizerFrom, ModelFolder.FolderWriter extra) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        parameters().forEach((name, a) -> entries.add(new SafetensorsWriter.Entry(name, DType.F32, a.getShape().getShape(), a::toFloatArray)));
        ModelFolder.writeAtomically(dir, tmp -> {
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(savedConfig.toJson());
            config.putArray("architectures").add("LlamaForSequenceClassification");
            config.put("num_labels", 1);
            config.put("pad_token_id", PAD_ID);
            config.putObject("id2label").put("0", "LABEL_0");
            config.putObject("label2id").put("LABEL_0", 0);
            Files.writeString(tmp.resolve(LlamaConfig.FILE_NAME), json.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            CheckpointFiles.write(tmp, entries, CheckpointFiles.DEFAULT_MAX_SHARD_BYTES);
            if (tokenizerFrom != null) {
                ModelFolder.copyTokenizer(tokenizerFrom, tmp);
            }
            extra.write(tmp);
        });
    }

    @Override
    public void close() {
        manager.close();
        decoder.close();
    }
}
