package dev.herd.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code .herd-manifest.json}: the list of every entry Herd wrote into a folder. It is how Herd tells its own
 * folders from a user's, so that replacing an output folder never deletes something Herd did not write.
 */
final class Manifest {

    static final String FILE = ".herd-manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Manifest() {}

    /** Records every entry now under {@code dir} (replacing a manifest a writer may have copied in from elsewhere). */
    static void write(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("written-by", "herd");
        ArrayNode files = root.putArray("files");
        entries(dir).stream().filter(e -> !e.equals(FILE)).forEach(files::add);
        Files.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    /**
     * Why Herd may not replace {@code dir}, or empty when it may: it is missing, an empty folder, or a folder
     * whose every entry its manifest lists.
     */
    static Optional<String> refusal(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        if (Files.isSymbolicLink(dir)) {
            return Optional.of("is a symbolic link, which Herd did not write");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of("exists and is a file, not a folder Herd wrote");
        }
        Set<String> listed = listed(dir.resolve(FILE));
        if (listed == null) {
            // No manifest: name the first top-level entry, without walking what may be a whole project tree.
            return firstTopLevel(dir).map(Manifest::foreign);
        }
        return entries(dir).stream().filter(e -> !e.equals(FILE) && !listed.contains(e)).findFirst().map(Manifest::foreign);
    }

    private static String foreign(String entry) {
        return "exists and holds " + (entry.endsWith("/") ? entry.substring(0, entry.length() - 1) : entry)
                + ", which Herd did not write";
    }

    /** The manifest's entries, or null when there is no readable Herd manifest. */
    private static Set<String> listed(Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !"herd".equals(root.path("written-by").asText()) || !root.path("files").isArray()) {
                return null;
            }
            Set<String> out = new HashSet<>();
            root.get("files").forEach(f -> out.add(f.asText()));
            return out;
        } catch (IOException e) {
            return null;
        }
    }

    private static Optional<String> firstTopLevel(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> name(dir, p)).sorted().findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every entry under {@code dir}, relative, '/'-separated, folders with a trailing '/', sorted; links not followed. */
    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> name(dir, p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String name(Path dir, Path p) {
        String rel = dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
        return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? rel + "/" : rel;
    }
}
