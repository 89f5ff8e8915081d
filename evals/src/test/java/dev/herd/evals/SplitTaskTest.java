package dev.herd.evals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitTaskTest {

    @TempDir
    Path tmp;

    private Path items(int n, long shuffleSeed) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add(String.format("{\"id\": \"eval-%05d\", \"prompt\": \"q%d\", \"answer\": \"%d\"}", i, i, i));
        }
        Collections.shuffle(lines, new Random(shuffleSeed));
        Path f = tmp.resolve("items-" + shuffleSeed + ".jsonl");
        Files.write(f, lines);
        return f;
    }

    private static Set<String> ids(Task t) {
        Set<String> out = new HashSet<>();
        t.items().forEach(i -> out.add(i.id()));
        return out;
    }

    @Test
    void devAndTestAreDisjointAndTogetherAreEveryItem() throws Exception {
        Task all = new CustomTask(items(1000, 1));
        Set<String> dev = ids(SplitTask.of(all, SplitTask.Split.DEV, 0.5));
        Set<String> test = ids(SplitTask.of(all, SplitTask.Split.TEST, 0.5));
        assertTrue(dev.stream().noneMatch(test::contains), "no item is on both sides");
        Set<String> union = new HashSet<>(dev);
        union.addAll(test);
        assertEquals(ids(all), union);
        // 1000 fair coin flips: 500 +- 3 sd (sd 15.8).
        assertTrue(Math.abs(dev.size() - 500) < 48, "about half on each side: " + dev.size());
        int small = SplitTask.of(all, SplitTask.Split.DEV, 0.2).items().size();
        assertTrue(Math.abs(small - 200) < 38, "dev fraction 0.2 puts about a fifth on dev: " + small);
    }

    @Test
    void theTestSideDependsOnlyOnItemIdsNotOnOrderOrFileLocation() throws Exception {
        Set<String> a = ids(SplitTask.of(new CustomTask(items(300, 1)), SplitTask.Split.TEST, 0.5));
        Set<String> b = ids(SplitTask.of(new CustomTask(items(300, 2)), SplitTask.Split.TEST, 0.5));
        assertEquals(a, b);
    }

    @Test
    void itemSidesMatchAnIndependentSha256Computation() {
        // python3: h = sha256(b"herd-dev-test:" + id).digest()[:8]; (int.from_bytes(h, "big") >> 11) * 2**-53
        assertEquals(0.42008578756626913, SplitTask.fraction("eval-00000"), 1e-15);
        assertEquals(0.9975607976231484, SplitTask.fraction("eval-00001"), 1e-15);
        assertEquals(0.5939749432238932, SplitTask.fraction("0"), 1e-15);
        assertTrue(SplitTask.isDev("eval-00000", 0.5));
        assertFalse(SplitTask.isDev("0", 0.5));
    }
}
