package dev.herd.llama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.common.HerdInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads one {@code .safetensors} file: an 8-byte little-endian header length, a JSON header, then raw
 * little-endian tensor data.
 *
 * <p>Data is read with positional reads in bounded pieces, so files of any size work (DJL's own reader holds
 * the whole file in one byte[] and stops at 2 GB). Every inconsistency between the header and the file is a
 * {@link HerdInputException} naming the file and the tensor.
 */
public final class SafetensorsReader implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PIECE = 1 << 24; // 16 MiB per read

    private final Path file;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path file, FileChannel channel, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsReader open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new HerdInputException(file + ": no such file");
        } catch (IOException e) {
            throw new HerdInputException(file + ": cannot open: " + e.getMessage());
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new HerdInputException(file + ": truncated: " + size + " bytes, not even a header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > 100_000_000L || 8 + headerLen > size) {
                throw new HerdInputException(file + ": not a safetensors file or truncated: header length " + headerLen
                        + " but the file has " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new HerdInputException(file + ": header is not valid JSON: " + e.getMessage().split("\n")[0]);
            }
            if (header == null || !header.isObject()) {
                throw new HerdInputException(file + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                TensorInfo info = parseTensor(file, e.getKey(), e.getValue(), dataStart);
                if (info.end() > size) {
                    throw new HerdInputException(file + ": truncated: tensor " + info.name() + " needs bytes ["
                            + info.begin() + ", " + info.end() + ") but the file has " + size);
                }
                tensors.put(info.name(), info);
            }
            return new SafetensorsReader(file, ch, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (RuntimeException | IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            if (e instanceof IOException io) {
                throw new HerdInputException(file + ": cannot read: " + io.getMessage());
            }
            throw (RuntimeException) e;
        }
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataStart) {
        String where = file + ": tensor " + name;
        JsonNode dt = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new HerdInputException(where + ": missing dtype");
        }
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new HerdInputException(where + ": missing shape");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new HerdInputException(where + ": missing data_offsets");
        }
        DType dtype = DType.parse(dt.asText());
        if (dtype == null) {
            throw new HerdInputException(where + ": unknown dtype " + dt.asText());
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                throw new HerdInputException(where + ": bad shape " + shapeNode);
            }
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        TensorInfo info = new TensorInfo(name, dtype, shape, dataStart + begin, dataStart + end);
        if (begin < 0 || end < begin || end - begin != info.numel() * dtype.bytes) {
            throw new HerdInputException(where + ": data_offsets [" + begin + ", " + end + ") do not fit shape "
                    + info.shapeString() + " of " + dtype);
        }
        return info;
    }

    public Path file() {
        return file;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new HerdInputException(file + ": no tensor " + name);
        }
        return info;
    }

    /** A tensor's values as fp32, F16 and BF16 widened. */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isSupportedFloat()) {
            throw new HerdInputException(file + ": tensor " + name + " has dtype " + info.dtype()
                    + "; Herd reads weights in F32, F16 or BF16");
        }
        long n = info.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new HerdInputException(file + ": tensor " + name + " has " + n + " elements, more than one Java array holds");
        }
        float[] out = new float[(int) n];
        int at = 0;
        long pos = info.begin();
        int elemBytes = info.dtype().bytes;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(PIECE, Math.max(elemBytes, info.end() - info.begin())))
                .order(ByteOrder.LITTLE_ENDIAN);
        while (pos < info.end()) {
            int len = (int) Math.min(buf.capacity() - buf.capacity() % elemBytes, info.end() - pos);
            buf.clear().limit(len);
            try {
                readFully(channel, buf, pos);
            } catch (IOException e) {
                throw new HerdInputException(file + ": cannot read tensor " + name + ": " + e.getMessage());
            }
            buf.flip();
            switch (info.dtype()) {
                case F32 -> {
                    while (buf.remaining() >= 4) {
                        out[at++] = buf.getFloat();
                    }
                }
                case BF16 -> {
                    while (buf.remaining() >= 2) {
                        out[at++] = DType.bf16ToFloat(buf.getShort());
                    }
                }
                default -> {
                    while (buf.remaining() >= 2) {
                        out[at++] = DType.halfToFloat(buf.getShort());
                    }
                }
            }
            pos += len;
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was written: closing a read channel cannot lose data
        }
    }
}
