package dev.herd.sft;

import java.util.ArrayList;
import java.util.List;

/**
 * Several examples back to back in one row of at most {@code max-seq-len} tokens; each attends only to itself
 * and its positions restart at 0 (the decoder's document mask), so packing changes no example's loss.
 */
record PackedRow(List<TrainExample> examples) {

    public int length() {
        return examples.stream().mapToInt(TrainExample::length).sum();
    }

    /** Packs in order, starting a new row when the next example does not fit. */
    public static List<PackedRow> pack(List<TrainExample> examples, int maxSeqLen) {
        List<PackedRow> rows = new ArrayList<>();
        List<TrainExample> current = new ArrayList<>();
        int used = 0;
        for (TrainExample e : examples) {
            if (!current.isEmpty() && used + e.length() > maxSeqLen) {
                rows.add(new PackedRow(current));
                current = new ArrayList<>();
                used = 0;
            }
            current.add(e);
            used += e.length();
        }
        if (!current.isEmpty()) {
            rows.add(new PackedRow(current));
        }
        return rows;
    }

    /** One example per row. */
    public static List<PackedRow> unpacked(List<TrainExample> examples) {
        return examples.stream().map(e -> new PackedRow(List.of(e))).toList();
    }
}
