package dev.herd.evals;

import dev.herd.llama.generate.StopStrings;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.Devices;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.generate.Generator;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Herd model folder under evaluation: log-likelihoods from batched forward passes (context with
 * begin-of-text, then the continuation's tokens, as lm-evaluation-harness encodes them), generation through
 * the batched KV-cache generator; chat-formatted items use the folder's chat template.
 */
public final class LocalModel implements EvalModel {

    private final Path dir;
    private final LlamaModel model;
    private final LlamaTokenizer tokenizer;
    private final int batch;

    public LocalModel(Path dir, String device, int batch) {
        this(dir, null, device, batch);
    }

    /** The model of {@code dir} with the LoRA adapter folder {@code adapter} merged in (null: none). */
    public LocalModel(Path dir, Path adapter, String device, int batch) {
        this.dir = dir;
        this.tokenizer = LlamaTokenizer.load(dir);
        this.model = ModelFolder.load(dir, adapter, Devices.parse(device));
        this.batch = batch;
    }

    @Override
    public String name() {
        return dir.toString();
    }

    @Override
    public double[] logLikelihoods(List<Continuation> requests) {
        double[] out = new double[requests.size()];
        for (int from = 0; from < requests.size(); from += batch) {
            int to = Math.min(requests.size(), from + batch);
            List<int[]> inputs = new ArrayList<>();
            List<int[]> targets = new ArrayList<>();
            int[] contextLen = new int[to - from];
            for (int i = from; i < to; i++) {
                int[] ctx = tokenizer.encode(requests.get(i).context(), true, true);
                int[] cont = tokenizer.encode(requests.get(i).continuation(), false, true);
                int[] all = Arrays.copyOf(ctx, ctx.length + cont.length);
                System.arraycopy(cont, 0, all, ctx.length, cont.length);
                inputs.add(Arrays.copyOf(all, all.length - 1));
                targets.add(Arrays.copyOfRange(all, 1, all.length));
                contextLen[i - from] = ctx.length;
            }
            int longest = inputs.stream().mapToInt(a -> a.length).max().orElse(0);
            long[] tg = new long[inputs.size() * longest];
            for (int r = 0; r < targets.size(); r++) {
                for (int j = 0; j < targets.get(r).length; j++) {
                    tg[r * longest + j] = targets.get(r)[j];
                }
            }
            try (NDManager m = model.newStepManager()) {
                TokenBatch b = TokenBatch.padded(m, inputs, false, 0);
                NDArray lp = model.tokenLogProbs(model.hiddenStates(b, KvCache.NONE),
                        m.create(tg).reshape(inputs.size(), longest));
                float[] flat = lp.toFloatArray();
                for (int r = 0; r < inputs.size(); r++) {
                    double s = 0;
                    // Targets from position contextLen−1 on are the continuation's tokens.
                    for (int j = contextLen[r] - 1; j < targets.get(r).length; j++) {
                        s += flat[r * longest + j];
                    }
                    out[from + r] = s;
                }
            }
        }
        return out;
    }

    @Override
    public List<String> generate(List<Generation> requests) {
        List<String> out = new ArrayList<>();
        ChatEncoder chat = null;
        for (int from = 0; from < requests.size(); from += batch) {
            List<Generation> part = requests.subList(from, Math.min(requests.size(), from + batch));
            List<int[]> prompts = new ArrayList<>();
            List<SamplingParams> params = new ArrayList<>();
            for (Generation g : part) {
                if (g.messages() != null) {
                    chat = chat != null ? chat : ChatEncoder.of(tokenizer);
                    prompts.add(chat.encode(g.messages(), true).ids());
                } else {
                    prompts.add(tokenizer.encode(g.prompt(), true, true));
                }
                params.add(new SamplingParams(g.temperature(), 0, 1.0, g.maxTokens(), g.seed()));
            }
            List<int[]> gen = new Generator(model).generate(prompts, params, tokenizer.stopIds());
            for (int i = 0; i < part.size(); i++) {
                out.add(StopStrings.cut(tokenizer.decode(gen.get(i), true), part.get(i).stop()));
            }
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
