package dev.herd.sampling.cli;

import dev.herd.sampling.server.OpenAiServer;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over the OpenAI API (/v1/models, /v1/completions, /v1/chat/completions) on the "
                + "paged-KV batch engine; concurrent requests share the batch. Stops on Ctrl-C.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (with tokenizer files).")
    Path model;

    @Option(names = "--served-model-name", description = "The model id clients ask for (default: the folder's name).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on every request.")
    String apiKey;

    @Option(names = "--max-batch", defaultValue = "32", description = "Sequences decoding at once. Default: ${DEFAULT-VALUE}")
    int maxBatch;

    @Option(names = "--max-model-len", defaultValue = "4096", description = "Longest prompt + max_tokens accepted (at most the "
            + "model's max_position_embeddings). Default: ${DEFAULT-VALUE}")
    int maxModelLen;

    @Option(names = "--kv-blocks", defaultValue = "0", description = "KV pool size in blocks of 16 tokens (0: --max-batch "
            + "sequences of 1024 tokens).")
    int kvBlocks;

    @Option(names = "--default-max-tokens", defaultValue = "256", description = "max_tokens of a chat request that sets "
            + "none. Default: ${DEFAULT-VALUE}")
    int defaultMaxTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Seeds requests that carry none, in arrival order. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto. Default: ${DEFAULT-VALUE}")
    String device;

    @Override
    public Integer call() throws Exception {
        if (!LlamaTokenizer.present(model)) {
            throw new HerdInputException(model + ": no tokenizer.json (serving needs the tokenizer files)");
        }
        String id = name != null ? name : model.toAbsolutePath().normalize().getFileName().toString();
        int blocks = kvBlocks > 0 ? kvBlocks : maxBatch * 64;
        try (LlamaTokenizer tok = LlamaTokenizer.load(model);
             LlamaModel m = ModelFolder.load(model, Devices.parse(device));
             EngineLoop engine = new EngineLoop(m, new PagedEngine.Options(maxBatch, 16, blocks, true), ids -> tok.decode(ids, true));
             OpenAiServer server = new OpenAiServer(engine, tok, id, host, port, apiKey,
                     Math.min(maxModelLen, m.config().maxPositionEmbeddings()), defaultMaxTokens, seed)) {
            System.out.printf("serving %s as '%s' on http://%s:%d/v1 (max batch %d, %d KV blocks)%n", model, id, host,
                    server.port(), maxBatch, blocks);
            System.out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }
}
