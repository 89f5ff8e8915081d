package dev.herd.evals;

import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * MMLU as lm-evaluation-harness runs it: per subject, "The following are multiple choice questions (with
 * answers) about {subject}.\n\n" + k dev examples + the question with lettered options and "Answer:"; the
 * choices " A" … " D" are scored by log-likelihood. Items are {@code <subject>/<row>}.
 */
final class Mmlu implements Task {

    static final List<String> LABELS = List.of("A", "B", "C", "D");
    private final List<EvalItem> items = new ArrayList<>();

    Mmlu(Path dir, int shots) {
        Path test = dir.resolve("test");
        if (!Files.isDirectory(test)) {
            throw new HerdInputException(dir + ": no MMLU test/ folder");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(test)) {
            files = s.filter(p -> p.getFileName().toString().endsWith("_test.csv")).sorted().toList();
        } catch (IOException e) {
            throw new HerdInputException(test + ": cannot list: " + e.getMessage());
        }
        for (Path f : files) {
            String subject = f.getFileName().toString().replace("_test.csv", "");
            String header = "The following are multiple choice questions (with answers) about "
                    + subject.replace('_', ' ') + ".\n\n";
            StringBuilder fewshot = new StringBuilder();
            Path dev = dir.resolve("dev").resolve(subject + "_dev.csv");
            if (shots > 0 && Files.exists(dev)) {
                List<List<String>> rows = read(dev);
                for (int i = 0; i < Math.min(shots, rows.size()); i++) {
                    fewshot.append(question(dev, i, rows.get(i))).append(' ').append(rows.get(i).get(5)).append("\n\n");
                }
            }
            List<List<String>> rows = read(f);
            for (int i = 0; i < rows.size(); i++) {
                List<String> r = rows.get(i);
                int gold = LABELS.indexOf(r.get(5).trim());
                if (gold < 0) {
                    throw new HerdInputException(f + ": row " + (i + 1) + ": answer '" + r.get(5) + "' is not A-D");
                }
                items.add(EvalItem.choice(subject + "/" + i, header + fewshot + question(f, i, r),
                        List.of(" A", " B", " C", " D"), LABELS, gold));
            }
        }
    }

    private static List<List<String>> read(Path f) {
        try {
            List<List<String>> rows = Csv.parse(Files.readString(f));
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i).size() != 6) {
                    throw new HerdInputException(f + ": row " + (i + 1) + ": expected 6 fields "
                            + "(question, A, B, C, D, answer), got " + rows.get(i).size());
                }
            }
            return rows;
        } catch (IOException e) {
            throw new HerdInputException(f + ": cannot read: " + e.getMessage());
        }
    }

    private static String question(Path f, int i, List<String> r) {
        return r.get(0).strip() + "\nA. " + r.get(1) + "\nB. " + r.get(2) + "\nC. " + r.get(3) + "\nD. " + r.get(4)
                + "\nAnswer:";
    }

    @Override
    public String name() {
        return "mmlu";
    }

    @Override
    public Type type() {
        return Type.MULTIPLE_CHOICE;
    }

    @Override
    public List<EvalItem> items() {
        return items;
    }
}
