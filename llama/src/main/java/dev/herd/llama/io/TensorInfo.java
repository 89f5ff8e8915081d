package dev.herd.llama.io;

import java.util.Arrays;

/**
 * One tensor of a safetensors file.
 *
 * @param begin absolute byte offset of its data in the file
 * @param end   absolute byte offset just past its data
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
