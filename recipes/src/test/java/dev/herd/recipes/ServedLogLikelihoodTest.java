package dev.herd.recipes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.herd.evals.EvalModel;
import dev.herd.evals.LocalModel;
import dev.herd.evals.OpenAiModel;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.TestPaths;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.server.OpenAiServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd eval --model http://…} against {@code herd serve}: log-likelihood tasks (MMLU, ARC) score a
 * continuation from the server's echoed prompt log-probs, and get what the in-process model gives.
 */
class ServedLogLikelihoodTest {

    @TempDir
    Path tmp;

    @Test
    void echoedLogprobsFromHerdServeGiveTheInProcessLogLikelihoods() throws Exception {
        Path dir = TestPaths.tinyModel(tmp.resolve("m"), 5, 0.3);
        List<EvalModel.Continuation> requests = List.of(
                new EvalModel.Continuation("The capital of France is", " Paris"),
                new EvalModel.Continuation("Question: 2 + 2 = ?\nAnswer:", " B"),
                new EvalModel.Continuation("Zürich liegt in der", " Schweiz, am See."));
        double[] local;
        try (LocalModel in = new LocalModel(dir, "cpu", 4)) {
            local = in.logLikelihoods(requests);
        }
        double[] served;
        try (LlamaTokenizer tok = LlamaTokenizer.load(dir);
             LlamaModel m = ModelFolder.load(dir, Device.cpu());
             EngineLoop engine = new EngineLoop(m, new PagedEngine.Options(4, 16, 64, true), ids -> tok.decode(ids, true));
             OpenAiServer server = new OpenAiServer(engine, tok, "tiny", "127.0.0.1", 0, null, 512, 32, 0);
             OpenAiModel remote = new OpenAiModel("http://127.0.0.1:" + server.port() + "/v1", null, "tiny", 2, 1)) {
            served = remote.logLikelihoods(requests);
        }
        for (int i = 0; i < requests.size(); i++) {
            assertEquals(local[i], served[i], 1e-4, requests.get(i).toString());
        }
    }
}
