package dev.herd.sampling.engine;

import dev.herd.llama.LlamaModel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a {@link PagedEngine} on its own thread so that many callers (a server's request threads) share one
 * continuously batched decode loop: submissions join at the next step. If the engine fails, the requests in
 * flight are told and a fresh engine takes over, so the service keeps serving.
 */
public final class EngineLoop implements AutoCloseable {

    private final LlamaModel model;
    private final PagedEngine.Options options;
    private final Function<int[], String> decoder;
    private final LinkedBlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private PagedEngine engine;

    public EngineLoop(LlamaModel model, PagedEngine.Options options, Function<int[], String> decoder) {
        this.model = model;
        this.options = options;
        this.decoder = decoder;
        this.engine = new PagedEngine(model, options, decoder);
        this.thread = new Thread(this::loop, "herd-engine");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Blocks the largest request may take: requests needing more can never be admitted. */
    public int capacityBlocks() {
        return options.blocks();
    }

    /** Blocks {@code r} needs at most (see {@link PagedEngine#blocksNeeded}). */
    public int blocksNeeded(SampleRequest r) {
        return engine.blocksNeeded(r);
    }

    public int blockSize() {
        return options.blockSize();
    }

    /**
     * Runs {@code work} with the model on the engine's thread, between decode steps, and waits for it: the model is
     * never used by two threads at once (e.g. a dense forward for a prompt's log-probs).
     */
    public <T> T withModel(java.util.function.Function<LlamaModel, T> work) {
        return onEngineThread(() -> work.apply(model));
    }

    /** Runs {@code work} on the engine's thread, between decode steps, and returns its result to the caller. */
    private <T> T onEngineThread(java.util.function.Supplier<T> work) {
        if (closed) {
            throw new IllegalStateException("engine closed");
        }
        java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
        inbox.add(() -> {
            try {
                result.complete(work.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result.join();
    }

    /** Drops the request submitted with {@code callbacks} (its client went away), freeing its KV blocks. */
    public void cancel(PagedEngine.RequestCallbacks callbacks) {
        if (!closed) {
            inbox.add(() -> engine.cancel(callbacks));
        }
    }

    /** Tokens the engine has generated so far (asked on the engine's thread). */
    public long generatedTokens() {
        return onEngineThread(() -> engine.stats().generatedTokens());
    }

    /** KV blocks held by requests now (asked on the engine's thread). */
    public int usedBlocks() {
        return onEngineThread(() -> engine.pool().usedBlocks());
    }

    /** Whether nothing is waiting or decoding (asked on the engine's thread). */
    public boolean idle() {
        return onEngineThread(() -> !engine.busy() && inbox.isEmpty());
    }

    /** Queues {@code r}; its callbacks run on the engine's thread. */
    public void submit(SampleRequest r, PagedEngine.RequestCallbacks callbacks) {
        if (closed) {
            throw new IllegalStateException("engine closed");
        }
        inbox.add(() -> engine.submit(r, callbacks));
    }

    private void loop() {
        while (!closed) {
            try {
                Runnable task = engine.busy() ? inbox.poll() : inbox.poll(100, TimeUnit.MILLISECONDS);
                while (task != null) {
                    task.run();
                    task = inbox.poll();
                }
                if (engine.busy()) {
                    engine.step();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.err.println("herd: engine step failed: " + e);
                engine.failAll(e);
                engine.close();
                engine = new PagedEngine(model, options, decoder);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whoever still waits (queued or decoding) is told, rather than left waiting forever.
        for (Runnable queued = inbox.poll(); queued != null; queued = inbox.poll()) {
            queued.run();
        }
        engine.failAll(new IllegalStateException("the engine was shut down"));
        engine.close();
    }
}
