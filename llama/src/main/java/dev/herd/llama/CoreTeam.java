package dev.herd.llama;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One worker thread per extra core, kept for the whole run, that share a loop with the calling thread at a cost of
 * about a microsecond: the hand-off of {@link VectorDecoder}'s matrix–vector products.
 *
 * <p>Why not the common fork-join pool: a lone row's step of the 5.1M model is ~20 products of 0.1–1 MB, each
 * some tens of µs, and a fork-join hand-off (a task queued, a parked worker woken) costs ~10–20 µs, which ate
 * what the second core gained. Here a worker that has just finished spins on a counter for {@link #SPIN_NANOS}
 * before it parks, so the products of one step follow each other without a wake-up; it parks soon after the Java
 * steps stop, so it does not hold a core that libtorch's batched steps need.
 *
 * <p>A loop is cut into more parts than threads, and each thread takes the next part left until none are: on a
 * machine with as many threads runnable as cores (libtorch's OpenMP workers spin for milliseconds after each of
 * its calls), a worker that the kernel has set aside for a while holds up at most the part in its hands, not a
 * fixed half of the loop.
 *
 * <p>One caller at a time: a second thread that finds the team busy runs its loop alone rather than wait.
 */
final class CoreTeam {

    /** The loop to split: {@code run(part, parts)} does the part'th of {@code parts} equal shares. */
    interface Split {
        void run(int part, int parts);
    }

    /** How long an idle worker spins before it parks: longer than a step's gaps, far shorter than a pause. */
    private static final long SPIN_NANOS = 200_000;
    /** Parts per thread a loop is cut into. */
    private static final int PARTS_PER_THREAD = 4;

    private static final CoreTeam SHARED = new CoreTeam(Runtime.getRuntime().availableProcessors());

    private final int size;                     // threads in a split, the caller included
    private final Thread[] workers;
    private final AtomicIntegerArray parked;    // per worker: 1 while parked or about to park
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Job current;               // the latest job; a worker that wakes late finds its parts taken

    /** One run's parts: the next one to take, how many are done, and the first failure. */
    private static final class Job {
        final Split split;
        final int parts;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Split split, int parts) {
            this.split = split;
            this.parts = parts;
        }

        /** Runs parts until none are left. */
        void take() {
            for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
                try {
                    split.run(p, parts);
                } catch (RuntimeException | Error e) {
                    if (failure == null) {
                        failure = e;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    CoreTeam(int size) {
        this.size = Math.max(1, size);
        this.workers = new Thread[this.size - 1];
        this.parked = new AtomicIntegerArray(workers.length);
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            workers[i] = new Thread(() -> work(index), "herd-core-" + (i + 1));
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** The process's team: one thread per core the JVM sees. */
    static CoreTeam shared() {
        return SHARED;
    }

    /** Threads a split runs on, the caller included. */
    int size() {
        return size;
    }

    /**
     * Runs every part of {@code split} across the team and returns when all are done; alone on the calling thread
     * ({@code run(0, 1)}) when the team has one thread or is busy with another caller. A part's exception is
     * rethrown here once every other part has finished.
     */
    void run(Split split) {
        if (size == 1 || !lock.tryLock()) {
            split.run(0, 1);
            return;
        }
        try {
            Job j = new Job(split, size * PARTS_PER_THREAD);
            current = j;                             // volatile: publishes the job, then the flags are read
            for (int i = 0; i < workers.length; i++) {
                if (parked.get(i) == 1) {
                    LockSupport.unpark(workers[i]);  // a spinning worker sees the new job by itself
                }
            }
            j.take();
            while (j.done.get() < j.parts) {
                Thread.onSpinWait();
            }
            current = null;
            Throwable f = j.failure;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    private void work(int index) {
        Job seen = null;
        while (true) {
            long idleSince = System.nanoTime();
            Job j;
            while ((j = current) == null || j == seen) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked.set(index, 1);            // volatile, then current re-read: a job posted in between is seen
                    j = current;
                    if (j == null || j == seen) {
                        LockSupport.park(this);
                    }
                    parked.set(index, 0);
                    idleSince = System.nanoTime();
                }
            }
            seen = j;
            j.take();
        }
    }
}
