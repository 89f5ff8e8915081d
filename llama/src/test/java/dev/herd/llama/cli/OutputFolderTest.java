package dev.herd.llama.cli;

import static dev.herd.llama.cli.CliTest.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import dev.herd.llama.ModelFolder;
import dev.herd.llama.io.CheckpointFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --out}: Herd replaces what it wrote itself and refuses, untouched, anything else. */
class OutputFolderTest {

    @TempDir
    Path tmp;

    static CliRun initModel(Path out, long seed) {
        return CliRun.of(new InitModelCommand(), "--out", out.toString(), "--hidden", "16", "--layers", "1", "--heads", "2",
                "--kv-heads", "1", "--intermediate", "32", "--vocab", "64", "--seed", String.valueOf(seed));
    }

    /** Every path under {@code dir} with its contents, to show nothing changed. */
    static List<String> snapshot(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.sorted().map(p -> {
                try {
                    return dir.relativize(p) + (Files.isRegularFile(p) ? "=" + Arrays.hashCode(Files.readAllBytes(p)) : "/");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }).toList();
        }
    }

    List<String> siblings() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWrittenModelFolderIsReadableByOthersLikeAnyMkdirNotOwnerOnly() throws Exception {
        Path m = tmp.resolve("m");
        assertEquals(0, initModel(m, 1).code());
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(m)));
    }

    @Test
    void aFolderWithAUserFileIsRefusedAndTheFileSurvives() throws Exception {
        Path x = Files.createDirectories(tmp.resolve("x"));
        Files.writeString(x.resolve("keep.txt"), "hi\n");
        assertBadInput(initModel(x, 1), x.toString(), "keep.txt", "did not write");
        assertEquals("hi\n", Files.readString(x.resolve("keep.txt")));
        assertEquals(2, snapshot(x).size(), "nothing added: " + snapshot(x));
        assertEquals(List.of("x"), siblings(), "no temporary sibling was created");
    }

    @Test
    void aProjectFolderWithAGitRepositoryIsRefusedUntouched() throws Exception {
        // What `herd init-model --out .` meets in a checkout.
        Path project = Files.createDirectories(tmp.resolve("project"));
        Files.createDirectories(project.resolve(".git/refs"));
        Files.writeString(project.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("src/Main.java"), "class Main {}\n");
        List<String> before = snapshot(project);
        assertBadInput(initModel(project, 1), project.toString(), ".git", "choose another --out");
        assertEquals(before, snapshot(project));
        assertEquals(List.of("project"), siblings());
    }

    @Test
    void aPlainFileAtOutIsRefusedAndUnchanged() throws Exception {
        Path file = tmp.resolve("model");
        Files.writeString(file, "not a folder\n");
        assertBadInput(initModel(file, 1), file.toString(), "is a file");
        assertEquals("not a folder\n", Files.readString(file));
        assertEquals(List.of("model"), siblings());
    }

    @Test
    void aFolderHerdWroteIsReplacedOnARerunAndAnEmptyFolderIsUsed() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("m"));
        assertEquals(0, initModel(out, 1).code());
        float[] first = weights(out);
        assertTrue(Files.exists(out.resolve(".herd-manifest.json")));
        CliRun again = initModel(out, 2);
        assertEquals(0, again.code(), again.err());
        float[] second = weights(out);
        assertFalse(first[0] == second[0] && first[1] == second[1], "the second seed's weights replaced the first's");
        assertEquals(List.of("m"), siblings(), "no temporary or old folder left");
        assertTrue(ModelFolder.isHerdWritten(out));
    }

    @Test
    void aFileAddedToAFolderHerdWroteMakesItRefused() throws Exception {
        Path out = tmp.resolve("m");
        assertEquals(0, initModel(out, 1).code());
        Files.createDirectories(out.resolve("notes"));
        Files.writeString(out.resolve("notes/todo.md"), "compare with m2\n");
        List<String> before = snapshot(out);
        assertBadInput(initModel(out, 2), out.toString(), "notes");
        assertEquals(before, snapshot(out));
        HerdInputException e = assertThrows(HerdInputException.class,
                () -> ModelFolder.writeAtomically(out, dir -> Files.writeString(dir.resolve("a.txt"), "a")));
        assertTrue(e.getMessage().contains("notes"), e.getMessage());
        assertEquals(before, snapshot(out));
    }

    static float[] weights(Path dir) {
        try (CheckpointFiles f = CheckpointFiles.open(dir)) {
            return f.readFloats("model.embed_tokens.weight");
        }
    }
}
