package dev.herd.llama.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.common.HerdInputException;
import dev.herd.llama.chat.ChatEncoder;
import dev.herd.llama.chat.EncodedChat;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print {\"text\", \"ids\"} for a text, or for messages rendered with the model's chat template.")
public final class TokenizeCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "ipython", "tool");

    @Option(names = "--model", required = true, description = "Folder with tokenizer.json (a model folder or a tokenizer alone).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", description = "Text to encode as given (begin-of-text prepended, special tokens recognised).")
        String text;

        @Option(names = "--messages", description = "JSON file: a list of {\"role\", \"content\"} messages.")
        Path messages;
    }

    @Option(names = "--tools", description = "JSON file: a list of tool (function) definitions for the template.")
    Path tools;

    @Option(names = "--add-generation-prompt", description = "End with the assistant header, ready for generation.")
    boolean addGenerationPrompt;

    @Override
    public Integer call() throws IOException {
        try (LlamaTokenizer tok = LlamaTokenizer.load(model)) {
            ObjectNode out = JSON.createObjectNode();
            if (input.text != null) {
                out.put("text", input.text);
                int[] ids = tok.encode(input.text, true, true);
                java.util.Arrays.stream(ids).forEach(out.putArray("ids")::add);
            } else {
                List<Map<String, Object>> messages = readMessages(input.messages);
                List<Map<String, Object>> toolList = tools == null ? null : readList(tools, "tools");
                EncodedChat e = ChatEncoder.of(tok).encode(messages, toolList, addGenerationPrompt, Map.of());
                out.put("text", e.text());
                java.util.Arrays.stream(e.ids()).forEach(out.putArray("ids")::add);
            }
            System.out.println(JSON.writeValueAsString(out));
        }
        return 0;
    }

    static List<Map<String, Object>> readMessages(Path file) {
        List<Map<String, Object>> messages = readList(file, "messages");
        for (int i = 0; i < messages.size(); i++) {
            Object role = messages.get(i).get("role");
            if (!(role instanceof String r) || !ROLES.contains(r)) {
                throw new HerdInputException(file + ": message " + i + " has role " + role + " (expected one of " + ROLES + ")");
            }
            if (!messages.get(i).containsKey("content") && !messages.get(i).containsKey("tool_calls")) {
                throw new HerdInputException(file + ": message " + i + " has no content");
            }
        }
        return messages;
    }

    static List<Map<String, Object>> readList(Path file, String what) {
        try {
            return JSON.readValue(Files.readString(file), new TypeReference<List<Map<String, Object>>>() {});
        } catch (java.nio.file.NoSuchFileException e) {
            throw new HerdInputException(file + ": no such file");
        } catch (IOException e) {
            throw new HerdInputException(file + ": expected a JSON list of " + what + ": " + e.getMessage().split("\n")[0]);
        }
    }
}
