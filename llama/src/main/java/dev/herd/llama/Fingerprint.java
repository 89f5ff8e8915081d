package dev.herd.llama;

import dev.herd.common.HerdInputException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The content hash behind {@link ModelFolder#fingerprint}. */
final class Fingerprint {

    /**
     * Digests already computed in this process, keyed by folder and each file's size and modification time: a
     * DPO run hashes its policy and reference (often one folder) and the reference cache hashes it again, and
     * reading a large checkpoint three times would cost more than the check is worth. A rewritten folder has
     * new files (Herd renames a fresh folder into place), so its key differs.
     */
    private static final Map<String, String> SEEN = new ConcurrentHashMap<>();

    private Fingerprint() {}

    static String of(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new HerdInputException(dir + ": no such model folder");
        }
        List<Path> parts = parts(dir);
        StringBuilder key = new StringBuilder(dir.toAbsolutePath().normalize().toString());
        try {
            for (Path p : parts) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                key.append('\n').append(p.getFileName()).append(' ').append(a.size()).append(' ')
                        .append(a.lastModifiedTime().toMillis()).append(' ').append(a.fileKey());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return SEEN.computeIfAbsent(key.toString(), k -> digest(parts));
    }

    /** Config, weights and tokenizer files: what loading, encoding and the forward pass read. */
    private static List<Path> parts(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals(LlamaConfig.FILE_NAME) || n.equals("adapter_config.json") || n.endsWith(".safetensors") || ModelFolder.TOKENIZER_FILES.contains(n);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String digest(List<Path> parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (Path p : parts) {
                md.update(p.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                    while (in.read(buf) >= 0) {
                        // digesting
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
