package dev.herd.evals;

import dev.herd.common.HerdInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds tasks by their lm-evaluation-harness names from a data folder laid out like data/benchmarks. */
public final class Tasks {

    public static final String NAMES = "gsm8k, humaneval, mmlu, arc_challenge, arc_easy, ifeval, custom:PATH.jsonl";

    private Tasks() {}

    /**
     * Where benchmark files are when no folder is given: {@code ../shared/benchmarks} where a workplace keeps them
     * beside the checkout, else the copies shipped in the checkout's {@code data/benchmarks} (found from
     * {@code herd.home}, which the {@code herd} launcher sets, or the working folder); null when neither exists.
     */
    public static Path defaultDataDir() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("../shared/benchmarks")));
        String home = System.getProperty("herd.home");
        if (home != null) {
            candidates.add(Path.of(home, "data", "benchmarks"));
        }
        candidates.add(Path.of("data", "benchmarks"));
        return candidates.stream().filter(Files::isDirectory).findFirst().orElse(null);
    }

    /** @param shots few-shot examples, or -1 for the task's default (gsm8k 5, others 0, as lm-eval) */
    public static Task load(String name, Path dataDir, int shots) {
        if (name.startsWith("custom:")) {
            return new CustomTask(Path.of(name.substring("custom:".length())));
        }
        Path dir = require(dataDir);
        return switch (name) {
            case "gsm8k" -> new Gsm8k(dir.resolve("gsm8k"), shots < 0 ? 5 : shots);
            case "humaneval" -> new HumanEval(dir.resolve("humaneval/HumanEval.jsonl.gz"));
            case "mmlu" -> new Mmlu(dir.resolve("mmlu"), Math.max(0, shots));
            case "arc_challenge" -> new Arc(name, dir.resolve("arc/ARC-Challenge-Test.jsonl"));
            case "arc_easy" -> new Arc(name, dir.resolve("arc/ARC-Easy-Test.jsonl"));
            case "ifeval" -> new IfEval(dir.resolve("ifeval/input_data.jsonl"));
            default -> throw new HerdInputException("unknown task '" + name + "' (known: " + NAMES + ")");
        };
    }

    private static Path require(Path dataDir) {
        if (dataDir == null || !Files.isDirectory(dataDir)) {
            throw new HerdInputException("--data-dir " + dataDir + ": no such folder (expected a layout like shared/benchmarks)");
        }
        return dataDir;
    }
}
