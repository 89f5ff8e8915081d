package dev.herd.llama.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes one {@code .safetensors} file. The header is padded with spaces to a multiple of 8 bytes (as HF's
 * writer does, so data stays aligned), and each tensor's values are fetched only when its turn comes, so a
 * file larger than memory can be written tensor by tensor.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: values come from {@code data} (fp32, narrowed to {@code dtype}). */
    public record Entry(String name, DType dtype, long[] shape, Supplier<float[]> data) {
        public long byteSize() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n * dtype.bytes;
        }
    }

    private SafetensorsWriter() {}

    /** Bytes the file for {@code entries} will take (header excluded). */
    public static long dataSize(List<Entry> entries) {
        return entries.stream().mapToLong(Entry::byteSize).sum();
    }

    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Entry e : entries) {
            if (!e.dtype().isSupportedFloat()) {
                throw new IllegalArgumentException("cannot write " + e.dtype() + " tensor " + e.name());
            }
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long s : e.shape()) {
                shape.add(s);
            }
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += e.byteSize();
            off.add(offset);
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                float[] values = e.data().get();
                if ((long) values.length * e.dtype().bytes != e.byteSize()) {
                    throw new IllegalArgumentException("tensor " + e.name() + " has " + values.length
                            + " values but shape " + java.util.Arrays.toString(e.shape()));
                }
                for (float v : values) {
                    if (buf.remaining() < 4) {
                        buf.flip();
                        writeFully(ch, buf);
                        buf.clear();
                    }
                    switch (e.dtype()) {
                        case F32 -> buf.putFloat(v);
                        case BF16 -> buf.putShort(DType.floatToBf16(v));
                        default -> buf.putShort(DType.floatToHalf(v));
                    }
                }
            }
            buf.flip();
            writeFully(ch, buf);
            ch.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
