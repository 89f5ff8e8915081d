package dev.herd.sampling.cli;

import java.nio.file.Files;

import java.io.IOException;

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

    @Option(names = "--adapter", description = "A LoRA adapter folder for --model, merged into it at load.")
    Path adapter;

    @Option(names = "--served-model-name", description = "The model id clients ask for (default: the folder's name).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on every request. Visible to `ps`: "
            + "prefer --api-key-file or the HERD_API_KEY environment variable.")
    String apiKey;

    @Option(names = "--api-key-file", description = "Read the key from this file's first line.")
    Path apiKeyFile;

    @Option(names = "--max-body-mb", defaultValue = "16", description = "Larger request bodies get 413. Default: ${DEFAULT-VALUE}")
    int maxBodyMb;

    @Option(names = "--max-sequences", defaultValue = "256", description = "Prompts x n one request may ask for. Default: ${DEFAULT-VALUE}")
    int maxSequences;

    @Option(names = "--max-batch", defaultValue = "32", description = "Sequences decoding at once. Default: ${DEFAULT-VALUE}")
    int maxBatch;

    @Option(names = "--max-model-len", defaultValue = "4096", description = "Longest prompt + max_tokens accepted (at most the "
            + "model's max_position_embeddings). Default: ${DEFAULT-VALUE}")
    int maxModelLen;

    @Option(names = "--kv-blocks", defaultValue = "0", description = "KV pool size in blocks of 16 tokens (0: --max-batch "
            + "sequences of 1024 tokens).")
    int kvBlocks;

    @Option(names = "--prefill-chunk", defaultValue = "512", description = "Prompt tokens run per engine step: a long "
            + "prompt delays the streams already decoding by one chunk's forward, not its whole prefill. Default: ${DEFAULT-VALUE}")
    int prefillChunk;

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
        String key = apiKey();
        if (maxBodyMb < 1 || maxSequences < 1) {
            throw new HerdInputException("--max-body-mb and --max-sequences must be positive");
        }
        String id = name != null ? name : model.toAbsolutePath().normalize().getFileName().toString();
        int blocks = kvBlocks > 0 ? kvBlocks : maxBatch * 64;
        try (LlamaTokenizer tok = LlamaTokenizer.load(model);
             LlamaModel m = ModelFolder.load(model, adapter, Devices.parse(device));
             EngineLoop engine = new EngineLoop(m, new PagedEngine.Options(maxBatch, 16, blocks, true, prefillChunk), ids -> tok.decode(ids, true));
             OpenAiServer server = bind(engine, tok, id, key, Math.min(maxModelLen, m.config().maxPositionEmbeddings()))) {
            System.out.printf("serving %s as '%s' on http://%s:%d/v1 (max batch %d, %d KV blocks)%n", model, id, host,
                    server.port(), maxBatch, blocks);
            System.out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    /** The key from --api-key, --api-key-file or HERD_API_KEY (one of them at most), or null for none. */
    private String apiKey() throws IOException {
        String env = System.getenv("HERD_API_KEY");
        int given = (apiKey != null ? 1 : 0) + (apiKeyFile != null ? 1 : 0) + (env != null && !env.isEmpty() ? 1 : 0);
        if (given > 1) {
            throw new HerdInputException("give the API key one way: --api-key, --api-key-file or HERD_API_KEY");
        }
        if (apiKeyFile != null) {
            if (!Files.isRegularFile(apiKeyFile)) {
                throw new HerdInputException("--api-key-file " + apiKeyFile + ": no such file");
            }
            String k = Files.readAllLines(apiKeyFile).stream().findFirst().orElse("").strip();
            if (k.isEmpty()) {
                throw new HerdInputException("--api-key-file " + apiKeyFile + ": empty");
            }
            return k;
        }
        return apiKey != null ? apiKey : env != null && !env.isEmpty() ? env : null;
    }

    /** Starts the server; a busy port or an unknown host is bad input, not a crash. */
    private OpenAiServer bind(EngineLoop engine, LlamaTokenizer tok, String id, String key, int maxLen) throws IOException {
        try {
            return new OpenAiServer(engine, tok, id, host, port, key, maxLen, defaultMaxTokens, seed,
                    new OpenAiServer.Limits((long) maxBodyMb << 20, maxSequences));
        } catch (java.net.BindException e) {
            throw new HerdInputException("--host " + host + " --port " + port + ": cannot listen there (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {     // an unresolved host, a port out of range
            throw new HerdInputException("--host " + host + " --port " + port + ": not an address to listen on");
        }
    }
}
