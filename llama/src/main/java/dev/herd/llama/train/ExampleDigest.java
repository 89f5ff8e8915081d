package dev.herd.llama.train;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 over training examples as they enter training (token ids, masks, margins), fed field by field.
 * Each array is prefixed with its length, so two different splits of the same numbers never hash alike.
 */
public final class ExampleDigest {

    private final MessageDigest md;

    ExampleDigest() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public ExampleDigest ints(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * (values.length + 1)).putInt(values.length);
        for (int v : values) {
            b.putInt(v);
        }
        md.update(b.array());
        return this;
    }

    public ExampleDigest bools(boolean[] values) {
        md.update(ByteBuffer.allocate(4).putInt(values.length).array());
        for (boolean v : values) {
            md.update((byte) (v ? 1 : 0));
        }
        return this;
    }

    public ExampleDigest doubles(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * (values.length + 1)).putLong(values.length);
        for (double v : values) {
            b.putDouble(v);
        }
        md.update(b.array());
        return this;
    }

    public ExampleDigest text(String value) {
        byte[] bytes = value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(value == null ? -1 : bytes.length).array());
        md.update(bytes);
        return this;
    }

    String hex() {
        return HexFormat.of().formatHex(md.digest());
    }
}
