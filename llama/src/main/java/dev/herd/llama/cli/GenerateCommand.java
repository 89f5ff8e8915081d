package dev.herd.llama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.llama.Devices;
import dev.herd.common.HerdInputException;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.generate.Generator;
import dev.herd.llama.generate.SamplingParams;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true, description = "Continue a prompt with a model.")
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Model folder (with tokenizer files).")
    Path model;

    @Option(names = "--adapter", description = "A LoRA adapter folder for --model, merged into it at load.")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "The prompt: plain text, or the user message with --chat.")
    String prompt;

    @Option(names = "--chat", description = "Render the prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "System message (with --chat).")
    String system;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy. Default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass. Default: ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = all). Default: ${DEFAULT-VALUE}")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto. Default: ${DEFAULT-VALUE}")
    String device;

    @Option(names = "--json", description = "Print {\"prompt_ids\", \"ids\", \"text\", \"finish_reason\"} instead of the text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        SamplingParams params;
        try {
            params = new SamplingParams(temperature, topK, topP, maxNewTokens, seed);
        } catch (IllegalArgumentException e) {
            throw new HerdInputException(e.getMessage());
        }
        if (!LlamaTokenizer.present(model)) {
            throw new HerdInputException(model + ": no tokenizer.json (generate needs the tokenizer files)");
        }
        try (LlamaTokenizer tok = LlamaTokenizer.load(model); LlamaModel m = ModelFolder.load(model, adapter, Devices.parse(device))) {
            int[] promptIds;
            if (chat) {
                List<ChatMessage> messages = new ArrayList<>();
                if (system != null) {
                    messages.add(ChatMessage.system(system));
                }
                messages.add(ChatMessage.user(prompt));
                promptIds = ChatEncoder.of(tok).encode(messages, true).ids();
            } else {
                promptIds = tok.encode(prompt, true, true);
            }
            Set<Integer> stops = tok.stopIds();
            int[] out = new Generator(m).generate(List.of(promptIds), List.of(params), stops).get(0);
            boolean stopped = out.length > 0 && stops.contains(out[out.length - 1]);
            String text = tok.decode(out, true);
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                java.util.Arrays.stream(promptIds).forEach(o.putArray("prompt_ids")::add);
                java.util.Arrays.stream(out).forEach(o.putArray("ids")::add);
                o.put("text", text);
                o.put("finish_reason", stopped ? "stop" : "length");
                System.out.println(mapper.writeValueAsString(o));
            } else {
                System.out.println(text);
            }
        }
        return 0;
    }
}
