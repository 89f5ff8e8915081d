package dev.herd.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CoreTeamTest {

    @Test
    void everyPartRunsExactlyOnceRunAfterRun() {
        CoreTeam team = new CoreTeam(3);
        for (int run = 0; run < 2000; run++) {
            AtomicIntegerArray counts = new AtomicIntegerArray(64);
            int[] seenParts = new int[1];
            team.run((part, parts) -> {
                counts.incrementAndGet(part);
                seenParts[0] = parts;
            });
            int parts = seenParts[0];
            assertTrue(parts >= 3, "cut into at least one part per thread: " + parts);
            for (int p = 0; p < counts.length(); p++) {
                assertEquals(p < parts ? 1 : 0, counts.get(p), "run " + run + ", part " + p);
            }
        }
    }

    @Test
    void thePartsRunOnMoreThanOneThread() throws InterruptedException {
        CoreTeam team = new CoreTeam(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        for (int run = 0; run < 200 && threads.size() < 2; run++) {
            team.run((part, parts) -> {
                threads.add(Thread.currentThread());
                long until = System.nanoTime() + 200_000;     // long enough for the worker to take a part
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            });
        }
        assertEquals(2, threads.size());
    }

    @Test
    void aPartsExceptionReachesTheCallerAndTheTeamKeepsWorking() {
        CoreTeam team = new CoreTeam(3);
        for (int failing = 0; failing < 12; failing++) {
            int f = failing;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.run((part, parts) -> {
                if (part == f % parts) {
                    throw new IllegalStateException("part " + part);
                }
            }));
            assertTrue(e.getMessage().startsWith("part "));
            AtomicIntegerArray counts = new AtomicIntegerArray(64);
            team.run((part, parts) -> counts.incrementAndGet(part));
            assertEquals(1, counts.get(0));
        }
    }

    @Test
    void aSecondCallerWhileTheTeamIsBusyRunsItsLoopAloneOnItsOwnThread() throws Exception {
        CoreTeam team = new CoreTeam(2);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread first = new Thread(() -> team.run((part, parts) -> {
            if (part == 0) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        first.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        int[] got = new int[2];
        team.run((part, parts) -> {
            ranOn.set(Thread.currentThread());
            got[0] = part;
            got[1] = parts;
        });
        release.countDown();
        first.join(10_000);
        assertSame(Thread.currentThread(), ranOn.get());
        assertEquals(0, got[0]);
        assertEquals(1, got[1]);
    }
}
