package dev.herd.llama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.common.HerdInputException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path tmp;

    static Path fixture() throws Exception {
        return Path.of(SafetensorsTest.class.getResource("/io/fixture.safetensors").toURI());
    }

    @Test
    void readsAFileWrittenByAnIndependentWriter() throws Exception {
        try (SafetensorsReader r = SafetensorsReader.open(fixture())) {
            assertEquals(List.of("a.f32", "b.f16", "c.bf16"), new ArrayList<>(r.tensors().keySet()));
            assertEquals("make_fixture.py", r.metadata().get("source"));
            assertArrayEquals(new long[] {2, 3}, r.info("a.f32").shape());
            assertArrayEquals(new float[] {1.5f, -2.25f, 3f, 0f, 1e-3f, -7f}, r.readFloats("a.f32"));
            assertArrayEquals(new float[] {0.5f, -65504f, 6.103515625e-05f, 5.960464477539063e-08f}, r.readFloats("b.f16"));
            assertArrayEquals(new float[] {1f, -2f, 0.15625f, 1.7578125f * (float) Math.pow(2, 127)}, r.readFloats("c.bf16"));
        }
    }

    @Test
    void halfAndBfloatConversionsRoundToNearestEven() {
        assertEquals((short) 0x3F80, DType.floatToBf16(1f));
        assertEquals((short) 0xC000, DType.floatToBf16(-2f));
        // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa (1.0).
        assertEquals((short) 0x3F80, DType.floatToBf16(1f + 0x1p-8f));
        // 1 + 3·2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up.
        assertEquals((short) 0x3F82, DType.floatToBf16(1f + 3 * 0x1p-8f));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))));
        assertEquals((short) 0x3C00, DType.floatToHalf(1f));
        assertEquals((short) 0x7BFF, DType.floatToHalf(65504f));
        assertEquals((short) 0x7C00, DType.floatToHalf(1e6f));                 // overflow → +inf
        assertEquals((short) 0x0001, DType.floatToHalf(0x1p-24f));              // smallest subnormal
        assertEquals((short) 0x3C00, DType.floatToHalf(1f + 0x1p-11f));         // tie → even
        assertEquals((short) 0x3C02, DType.floatToHalf(1f + 3 * 0x1p-11f));     // tie → even (up)
        assertEquals(Float.NEGATIVE_INFINITY, DType.halfToFloat((short) 0xFC00));
        for (int bits = 0; bits < 0x10000; bits++) {                            // every finite half survives a round trip
            float f = DType.halfToFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals((short) bits, DType.floatToHalf(f), "half bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void roundTripsAllDtypes() throws Exception {
        float[] values = {0.1f, -3.75f, 1024.5f, 7e-5f};
        Path file = tmp.resolve("x.safetensors");
        SafetensorsWriter.write(file, List.of(
                new SafetensorsWriter.Entry("f", DType.F32, new long[] {2, 2}, () -> values),
                new SafetensorsWriter.Entry("h", DType.F16, new long[] {4}, () -> values),
                new SafetensorsWriter.Entry("b", DType.BF16, new long[] {4, 1}, () -> values)), Map.of());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(values, r.readFloats("f"));
            float[] h = r.readFloats("h");
            float[] b = r.readFloats("b");
            for (int i = 0; i < values.length; i++) {
                assertEquals(DType.halfToFloat(DType.floatToHalf(values[i])), h[i]);
                assertEquals(DType.bf16ToFloat(DType.floatToBf16(values[i])), b[i]);
                assertEquals(values[i], b[i], Math.abs(values[i]) / 128);
            }
        }
        // The header is padded to 8 bytes so the data is aligned.
        ByteBuffer len = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, len.getLong() % 8);
    }

    @Test
    void shardsAndIndexLikeSavePretrained() throws Exception {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            float[] v = new float[100];
            java.util.Arrays.fill(v, i);
            entries.add(new SafetensorsWriter.Entry("t" + i, DType.F32, new long[] {100}, () -> v));
        }
        CheckpointFiles.write(tmp, entries, 1000); // 400 bytes per tensor → 2 per shard
        assertTrue(Files.exists(tmp.resolve("model-00001-of-00003.safetensors")));
        assertTrue(Files.exists(tmp.resolve("model-00003-of-00003.safetensors")));
        String index = Files.readString(tmp.resolve(CheckpointFiles.INDEX));
        assertTrue(index.contains("\"total_size\" : 2000"), index);
        try (CheckpointFiles files = CheckpointFiles.open(tmp)) {
            assertEquals(5, files.names().size());
            assertEquals(4f, files.readFloats("t4")[99]);
            assertEquals("model-00002-of-00003.safetensors", files.fileOf("t2").getFileName().toString());
        }
        Files.delete(tmp.resolve("model-00002-of-00003.safetensors"));
        HerdInputException e = assertThrows(HerdInputException.class, () -> CheckpointFiles.open(tmp));
        assertTrue(e.getMessage().contains("model-00002-of-00003.safetensors") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void truncatedFileNamesFileAndTensor() throws Exception {
        Path file = tmp.resolve("cut.safetensors");
        byte[] full = Files.readAllBytes(fixture());
        Files.write(file, java.util.Arrays.copyOf(full, full.length - 3));
        HerdInputException e = assertThrows(HerdInputException.class, () -> SafetensorsReader.open(file));
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("truncated")
                && e.getMessage().contains("c.bf16"), e.getMessage());
        Files.write(file, java.util.Arrays.copyOf(full, 5));
        assertTrue(assertThrows(HerdInputException.class, () -> SafetensorsReader.open(file)).getMessage().contains("truncated"));
    }

    @Test
    void badHeaderAndUnknownDtype() throws Exception {
        Path bad = tmp.resolve("bad.safetensors");
        writeRaw(bad, "{not json", 0);
        assertTrue(assertThrows(HerdInputException.class, () -> SafetensorsReader.open(bad)).getMessage().contains("not valid JSON"));
        writeRaw(bad, "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        HerdInputException e = assertThrows(HerdInputException.class, () -> SafetensorsReader.open(bad));
        assertTrue(e.getMessage().contains("unknown dtype Q4") && e.getMessage().contains("tensor w"), e.getMessage());
        writeRaw(bad, "{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsReader r = SafetensorsReader.open(bad)) {
            HerdInputException e2 = assertThrows(HerdInputException.class, () -> r.readFloats("w"));
            assertTrue(e2.getMessage().contains("I64") && e2.getMessage().contains("tensor w"), e2.getMessage());
        }
        writeRaw(bad, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertTrue(assertThrows(HerdInputException.class, () -> SafetensorsReader.open(bad)).getMessage().contains("do not fit shape"));
    }

    @Test
    void readsTensorsBeyondTwoGigabytes() throws Exception {
        // A sparse 2.2 GB file whose only tensor sits past 2^31: the >2 GB path without writing gigabytes.
        Path file = tmp.resolve("big.safetensors");
        long offset = (1L << 31) + 12345;
        String header = "{\"far\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[" + offset + "," + (offset + 6) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(b.array());
            raf.write(h);
            raf.setLength(8 + h.length + offset + 6);
            raf.seek(8 + h.length + offset);
            raf.write(new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0, 0x20, 0x3E}); // 1, -2, 0.15625 little-endian
        }
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1f, -2f, 0.15625f}, r.readFloats("far"));
        } finally {
            Files.delete(file);
        }
    }

    private static void writeRaw(Path file, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
    }
}
