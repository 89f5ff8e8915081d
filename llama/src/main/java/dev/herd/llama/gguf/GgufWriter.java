package dev.herd.llama.gguf;

import dev.herd.llama.io.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes a GGUF v3 file (llama.cpp's format): the magic {@code GGUF}, version 3, the tensor and key-value counts,
 * typed metadata key-values (arrays included), tensor infos (name, dimensions innermost first, ggml type, offset),
 * then the tensor data, each tensor starting on a 32-byte boundary. Everything little-endian.
 *
 * <p>Tensors are given as row-major fp32 data with their shape in the usual outermost-first order ({@code [rows,
 * cols]}); GGUF's dimension list is the reverse ({@code ne0 = cols}). Data is fetched and converted one tensor at a
 * time while writing, so memory holds one tensor at once.
 */
public final class GgufWriter {

    public static final int VERSION = 3;
    public static final int ALIGNMENT = 32;

    /** GGUF metadata value types. */
    public enum ValueType {
        UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
        UINT64(10), INT64(11), FLOAT64(12);

        public final int id;

        ValueType(int id) {
            this.id = id;
        }
    }

    /** The ggml tensor types written here. */
    public enum TensorType {
        F32(0, 1, 4), F16(1, 1, 2), Q8_0(8, 32, 34);

        public final int id;
        /** Elements per block along the innermost dimension. */
        public final int blockSize;
        public final int blockBytes;

        TensorType(int id, int blockSize, int blockBytes) {
            this.id = id;
            this.blockSize = blockSize;
            this.blockBytes = blockBytes;
        }

        public long bytes(long elements) {
            return elements / blockSize * blockBytes;
        }
    }

    private record Kv(ValueType type, Object value, ValueType elementType) {}

    private record Tensor(String name, TensorType type, long[] shape, Supplier<float[]> data) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Map<String, Kv> kvs = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter putString(String key, String value) {
        return put(key, new Kv(ValueType.STRING, value, null));
    }

    public GgufWriter putUint32(String key, long value) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(key + ": " + value + " does not fit uint32");
        }
        return put(key, new Kv(ValueType.UINT32, value, null));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, new Kv(ValueType.INT32, value, null));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new Kv(ValueType.FLOAT32, value, null));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new Kv(ValueType.BOOL, value, null));
    }

    public GgufWriter putStringArray(String key, List<String> values) {
        return put(key, new Kv(ValueType.ARRAY, List.copyOf(values), ValueType.STRING));
    }

    public GgufWriter putInt32Array(String key, int[] values) {
        return put(key, new Kv(ValueType.ARRAY, values.clone(), ValueType.INT32));
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(key, new Kv(ValueType.ARRAY, values.clone(), ValueType.FLOAT32));
    }

    private GgufWriter put(String key, Kv kv) {
        if (kvs.containsKey(key)) {
            throw new IllegalArgumentException("duplicate key " + key);
        }
        kvs.put(key, kv);
        return this;
    }

    /**
     * Adds a tensor of {@code shape} (outermost first, row-major) whose fp32 values {@code data} supplies at write
     * time, stored as {@code type}. Q8_0 needs the innermost dimension to be a multiple of 32.
     */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, Supplier<float[]> data) {
        if (tensors.stream().anyMatch(t -> t.name.equals(name))) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        if (shape[shape.length - 1] % type.blockSize != 0) {
            throw new IllegalArgumentException(name + ": innermost dimension " + shape[shape.length - 1]
                    + " is not a multiple of " + type + "'s block size " + type.blockSize);
        }
        tensors.add(new Tensor(name, type, shape.clone(), data));
        return this;
    }

    public int tensorCount() {
        return tensors.size();
    }

    /** Writes the file to a temporary sibling and renames it to {@code file}, so a failure leaves no half file. */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, abs.getFileName() + ".", ".tmp");
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                write(os);
            }
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults stand
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the whole file to {@code os}. */
    public void write(OutputStream raw) throws IOException {
        Out out = new Out(raw);
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (Map.Entry<String, Kv> e : kvs.entrySet()) {
            out.string(e.getKey());
            Kv kv = e.getValue();
            out.u32(kv.type.id);
            if (kv.type == ValueType.ARRAY) {
                out.u32(kv.elementType.id);
                switch (kv.elementType) {
                    case STRING -> {
                        @SuppressWarnings("unchecked")
                        List<String> l = (List<String>) kv.value;
                        out.u64(l.size());
                        for (String s : l) {
                            out.string(s);
                        }
                    }
                    case INT32 -> {
                        int[] a = (int[]) kv.value;
                        out.u64(a.length);
                        for (int v : a) {
                            out.u32(v);
                        }
                    }
                    case FLOAT32 -> {
                        float[] a = (float[]) kv.value;
                        out.u64(a.length);
                        for (float v : a) {
                            out.u32(Float.floatToRawIntBits(v));
                        }
                    }
                    default -> throw new IllegalStateException("array of " + kv.elementType);
                }
            } else {
                scalar(out, kv.type, kv.value);
            }
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.u32(t.shape.length);
            for (int i = t.shape.length - 1; i >= 0; i--) {
                out.u64(t.shape[i]);
            }
            out.u32(t.type.id);
            out.u64(offset);
            offset = align(offset + t.type.bytes(t.elements()));
        }
        out.pad();
        long dataStart = out.position;
        for (Tensor t : tensors) {
            float[] values = t.data.get();
            if (values.length != t.elements()) {
                throw new IllegalStateException(t.name + ": " + values.length + " values for " + t.elements() + " elements");
            }
            encode(out, t.type, values);
            out.pad();
        }
        if (out.position - dataStart != offset) {
            throw new IllegalStateException("wrote " + (out.position - dataStart) + " data bytes, expected " + offset);
        }
        out.flush();
    }

    private static void scalar(Out out, ValueType type, Object v) throws IOException {
        switch (type) {
            case STRING -> out.string((String) v);
            case UINT32 -> out.u32((int) (long) (Long) v);
            case INT32 -> out.u32((Integer) v);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            default -> throw new IllegalStateException("scalar of " + type);
        }
    }

    private static void encode(Out out, TensorType type, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (float v : values) {
                    if (buf.remaining() < 4) {
                        out.drain(buf);
                    }
                    buf.putFloat(v);
                }
            }
            case F16 -> {
                for (float v : values) {
                    if (buf.remaining() < 2) {
                        out.drain(buf);
                    }
                    buf.putShort(DType.floatToHalf(v));
                }
            }
            case Q8_0 -> {
                byte[] block = new byte[34];
                for (int start = 0; start < values.length; start += 32) {
                    quantizeQ8_0(values, start, block);
                    if (buf.remaining() < block.length) {
                        out.drain(buf);
                    }
                    buf.put(block);
                }
            }
        }
        out.drain(buf);
    }

    /**
     * One Q8_0 block of 32 values: scale d = max|x| / 127 as fp16, then the 32 values x/d rounded half away from
     * zero as int8 (ggml's reference quantisation).
     */
    static void quantizeQ8_0(float[] x, int start, byte[] block) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[start + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        short h = DType.floatToHalf(d);
        block[0] = (byte) h;
        block[1] = (byte) (h >> 8);
        for (int j = 0; j < 32; j++) {
            float v = x[start + j] * id;
            block[2 + j] = (byte) (int) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
        }
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** A little-endian stream that counts what it wrote. */
    private static final class Out {
        final OutputStream os;
        final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long position;

        Out(OutputStream os) {
            this.os = os;
        }

        void bytes(byte[] b) throws IOException {
            os.write(b);
            position += b.length;
        }

        void u8(int v) throws IOException {
            os.write(v);
            position++;
        }

        void u32(int v) throws IOException {
            scratch.clear();
            scratch.putInt(v);
            os.write(scratch.array(), 0, 4);
            position += 4;
        }

        void u64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            os.write(scratch.array(), 0, 8);
            position += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void drain(ByteBuffer buf) throws IOException {
            buf.flip();
            os.write(buf.array(), 0, buf.limit());
            position += buf.limit();
            buf.clear();
        }

        void pad() throws IOException {
            while (position % ALIGNMENT != 0) {
                u8(0);
            }
        }

        void flush() throws IOException {
            os.flush();
        }
    }
}
