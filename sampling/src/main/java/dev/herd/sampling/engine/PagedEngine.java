package dev.herd.sampling.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import dev.herd.common.HerdInputException;
import dev.herd.llama.KvCache;
import dev.herd.llama.LlamaModel;
import dev.herd.llama.TokenBatch;
import dev.herd.llama.VectorDecoder;
import dev.herd.llama.generate.NextTokens;
import dev.herd.llama.generate.TokenSampler;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

/**
 * Batch generation over a {@link PagedKvCache} with continuous batching: up to {@code maxBatch} samples decode
 * together, one token each per step; a finished sample leaves at once and a waiting one joins at the next
 * step. A prompt is prefilled once and its K samples fork its block table, sharing the prompt's blocks
 * (copy-on-write for the last, partial one). A sample is admitted only when the pool can hold its prompt and
 * its whole output budget, so nothing is ever swapped out or preempted.
 */
public final class PagedEngine implements AutoCloseable {

    /**
     * @param maxBatch     samples decoding at once
     * @param blockSize    tokens per KV block
     * @param blocks       blocks in the pool (memory = blocks · blockSize · bytes per slot)
     * @param sharePrompts fork the prompt's blocks for its K samples (off: each sample prefills its own copy)
     * @param prefillChunk prompt tokens run per step at most (chunked prefill): a long prompt, or many arriving at
     *                     once, delays the running samples' next tokens by one chunk's forward, not the whole prefill
     */
    public record Options(int maxBatch, int blockSize, int blocks, boolean sharePrompts, int prefillChunk) {

        /** Prompt tokens per step by default: large enough that a chunk's matmuls are efficient. */
        public static final int DEFAULT_PREFILL_CHUNK = 512;

        public Options {
            if (maxBatch < 1 || blockSize < 1 || blocks < 1 || prefillChunk < 1) {
                throw new IllegalArgumentException("max-batch, block-size, blocks and prefill-chunk must be positive");
            }
        }

        public Options(int maxBatch, int blockSize, int blocks, boolean sharePrompts) {
            this(maxBatch, blockSize, blocks, sharePrompts, DEFAULT_PREFILL_CHUNK);
        }
    }

    /** Told about each request as soon as all its samples are done (for streaming results to disk). */
    public interface Listener {
        void onDone(int requestIndex, List<Completion> samples);

        default void onSample(int tokensGenerated) {}
    }

    /**
     * Told about one request's progress, on the engine's thread: every token as it is drawn (for streaming), and
     * the request's samples once all are done.
     */
    public interface RequestCallbacks {
        /** Sample {@code sample} drew {@code token}; {@code tokens} is everything it has generated so far. */
        default void onToken(int sample, List<Integer> tokens, TokenLogprob logprob) {}

        void onDone(List<Completion> samples);

        /** The engine failed while this request was in flight (it will not be finished). */
        default void onError(RuntimeException e) {}
    }

    /**
     * What a run did, for benchmarks and logs.
     *
     * @param kvWaste allocated KV slots not holding a token, as a share of all allocated slots, averaged over the
     *                decode steps (vLLM's measure of fragmentation)
     * @param javaSteps decode steps of a lone row run by {@link VectorDecoder} rather than libtorch
     * @param javaHeads decode steps of a batch whose LM head ran in Java ({@link VectorDecoder#headLogits})
     * @param decodedTokens tokens drawn by decode steps (each sample's first token comes from its prompt's prefill)
     * @param decodeSeconds wall time spent in decode steps: what a token costs once prompts are through, without
     *                      the prefill that a whole run's time includes
     */
    public record Stats(long promptTokens, long generatedTokens, long prefillTokens, int peakBlocks, int peakBatch,
                        double kvWaste, long javaSteps, long javaHeads, long decodedTokens, double decodeSeconds) {}

    private final LlamaModel model;
    private final Options options;
    private final Function<int[], String> decoder;
    private final NDManager manager;
    private final BlockPool pool;
    private final PagedKvCache cache;
    private final VectorDecoder loneRow;   // a lone row's decoding step in Java (a copy of the weights); null: libtorch

    private final Deque<Group> waiting = new ArrayDeque<>();
    private final Deque<Prefill> prefilling = new ArrayDeque<>();   // admitted prompts not yet through the model, in order
    private final List<Sequence> starting = new ArrayList<>();      // admitted samples waiting for their prompt's logits
    private final List<Sequence> running = new ArrayList<>();
    private long promptTokens;
    private long generatedTokens;
    private long prefillTokens;
    private int peakBlocks;
    private int peakBatch;
    private long allocatedSlots;
    private long filledSlots;
    private long javaSteps;
    private long javaHeads;
    private long decodedTokens;
    private long decodeNanos;

    public PagedEngine(LlamaModel model, Options options, Function<int[], String> decoder) {
        this.model = model;
        this.options = options;
        this.decoder = decoder;
        this.manager = model.newStepManager();
        this.pool = new BlockPool(options.blocks(), options.blockSize());
        this.cache = new PagedKvCache(manager, model.config(), pool, model.device());
        this.loneRow = model.vectorDecoder();
    }

    public BlockPool pool() {
        return pool;
    }

    public Stats stats() {
        return new Stats(promptTokens, generatedTokens, prefillTokens, peakBlocks, peakBatch,
                allocatedSlots == 0 ? 0 : 1.0 - (double) filledSlots / allocatedSlots, javaSteps, javaHeads,
                decodedTokens, decodeNanos / 1e9);
    }

    private final class Group {
        final SampleRequest request;
        final RequestCallbacks callbacks;
        final Completion[] done;
        BlockTable prompt;       // held until every sample has forked it
        NDArray lastLogits;      // [vocab] the prompt's next-token logits, shared by its samples' first draws (engine's manager)
        int started;
        int awaitingFirst;       // admitted samples that have not drawn their first token yet
        int finished;

        Group(SampleRequest request, RequestCallbacks callbacks) {
            this.request = request;
            this.callbacks = callbacks;
            this.done = new Completion[request.n()];
        }

        int total() {
            return request.prompt().length + request.params().maxNewTokens();
        }
    }

    private final class Sequence {
        final Group group;
        final int sample;
        final BlockTable table;
        final TokenSampler sampler;
        final StopCondition stop;
        final List<Integer> out = new ArrayList<>();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        NDArray firstLogits;     // [vocab] without prompt sharing: this sample's own prefill logits, until its first draw
        int pending;

        Sequence(Group group, int sample, BlockTable table) {
            this.group = group;
            this.sample = sample;
            this.table = table;
            SampleRequest r = group.request;
            this.sampler = new TokenSampler(r.params().withSeed(r.sampleSeed(sample)));
            this.stop = new StopCondition(r.stopIds(), r.stopStrings(), r.params().maxNewTokens(), decoder);
        }
    }

    /** Generates every request's samples; returns them per request, in sample order. */
    public List<List<Completion>> run(List<SampleRequest> requests, Listener listener) {
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            int index = i;
            groups.add(add(requests.get(i), new RequestCallbacks() {
                @Override
                public void onToken(int sample, List<Integer> tokens, TokenLogprob logprob) {
                    listener.onSample(1);
                }

                @Override
                public void onDone(List<Completion> samples) {
                    listener.onDone(index, samples);
                }
            }));
        }
        while (step()) {
            // each step admits what fits and decodes one token for every running sample
        }
        List<List<Completion>> out = new ArrayList<>();
        for (Group g : groups) {
            out.add(List.of(g.done));
        }
        return out;
    }

    /**
     * Queues a request; it is admitted at a later {@link #step}. Only the thread that calls {@code step} may call
     * this (the engine is single-threaded; {@link EngineLoop} serves many threads).
     */
    public void submit(SampleRequest request, RequestCallbacks callbacks) {
        add(request, callbacks);
    }

    private Group add(SampleRequest request, RequestCallbacks callbacks) {
        Group g = new Group(request, callbacks);
        promptTokens += request.prompt().length;
        if (request.params().maxNewTokens() == 0) {
            Arrays.fill(g.done, new Completion(new int[0], "", "length"));
            callbacks.onDone(List.of(g.done));
        } else {
            waiting.add(g);
        }
        return g;
    }

    /**
     * Admits what fits, runs at most one chunk of prompt tokens, starts the samples whose prompt is through, and
     * decodes one token for every running sample; false when nothing is left to do.
     */
    public boolean step() {
        admit();
        prefillChunk();
        startReady();
        if (!running.isEmpty()) {
            decodeStep();
        }
        return busy();
    }

    /** Tells every request still in flight that it failed; the engine is unusable afterwards. */
    public void failAll(RuntimeException e) {
        java.util.Set<RequestCallbacks> told = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Group g : waiting) {
            if (told.add(g.callbacks)) {
                g.callbacks.onError(e);
            }
        }
        for (List<Sequence> list : List.of(starting, running)) {
            for (Sequence s : list) {
                if (told.add(s.group.callbacks)) {
                    s.group.callbacks.onError(e);
                }
            }
        }
        waiting.clear();
        prefilling.clear();
        starting.clear();
        running.clear();
    }

    /**
     * Drops a request whose client went away: its waiting samples and running sequences stop and their KV blocks
     * go back to the pool; its callbacks hear nothing more.
     */
    public void cancel(RequestCallbacks callbacks) {
        for (java.util.Iterator<Group> it = waiting.iterator(); it.hasNext(); ) {
            Group g = it.next();
            if (g.callbacks == callbacks) {
                it.remove();
                if (g.prompt != null) {
                    g.prompt.release();
                    g.prompt = null;
                }
                closeLogits(g);
            }
        }
        prefilling.removeIf(p -> p.owner == callbacks);      // its blocks go back below: nothing may write them
        for (List<Sequence> list : List.of(starting, running)) {
            for (java.util.Iterator<Sequence> it = list.iterator(); it.hasNext(); ) {
                Sequence seq = it.next();
                if (seq.group.callbacks == callbacks) {
                    seq.table.release();
                    if (seq.firstLogits != null) {
                        seq.firstLogits.close();
                        seq.firstLogits = null;
                    }
                    closeLogits(seq.group);
                    it.remove();
                }
            }
        }
    }

    /** Whether any request is waiting or running. */
    public boolean busy() {
        return !waiting.isEmpty() || !starting.isEmpty() || !running.isEmpty();
    }

    /** Blocks one request needs at most, whatever else is running: what a server checks before accepting it. */
    public int blocksNeeded(SampleRequest r) {
        int total = r.prompt().length + r.params().maxNewTokens();
        return options.sharePrompts() ? pool.blocksFor(r.prompt().length) + r.n() * (pool.blocksFor(total) - r.prompt().length / pool.blockSize())
                : r.n() * pool.blocksFor(total);
    }

    /** Blocks a new sample of {@code g} may need beyond what is already stored for its prompt. */
    private int sampleNeed(Group g) {
        int p = g.request.prompt().length;
        if (!options.sharePrompts()) {
            return pool.blocksFor(g.total());
        }
        // The fork shares the prompt's full blocks; a partial last block is copied on first write.
        return pool.blocksFor(g.total()) - p / pool.blockSize();
    }

    private int committed(List<Sequence> seqs) {
        int c = 0;
        for (Sequence s : seqs) {
            c += s.table.blocksStillNeeded(s.group.total());
        }
        return c;
    }

    /**
     * A prompt on its way through the model, one chunk per step. Its table got every slot of the prompt at
     * admission (so the block accounting is that of a whole prompt); {@code done} tokens are computed so far.
     * {@code logits} takes the last position's logits; {@code owner} is the request, for cancelling.
     */
    private static final class Prefill {
        final int[] slots;
        final int[] prompt;
        final java.util.function.Consumer<NDArray> logits;
        final RequestCallbacks owner;
        int done;

        Prefill(int[] slots, int[] prompt, java.util.function.Consumer<NDArray> logits, RequestCallbacks owner) {
            this.slots = slots;
            this.prompt = prompt;
            this.logits = logits;
            this.owner = owner;
        }
    }

    private void admit() {
        List<Sequence> admitted = new ArrayList<>();
        while (!waiting.isEmpty() && running.size() + starting.size() + admitted.size() < options.maxBatch()) {
            Group g = waiting.peekFirst();
            int available = pool.freeBlocks() - committed(running) - committed(starting) - committed(admitted);
            boolean needPrefill = options.sharePrompts() && g.prompt == null;
            int need = sampleNeed(g) + (needPrefill ? pool.blocksFor(g.request.prompt().length) : 0);
            if (need > available) {
                if (running.isEmpty() && starting.isEmpty() && admitted.isEmpty() && (g.prompt == null || g.started == 0)) {
                    throw new HerdInputException("a prompt of " + g.request.prompt().length + " tokens with max-new-tokens "
                            + g.request.params().maxNewTokens() + " needs " + need + " KV blocks of " + pool.blockSize()
                            + " tokens; the pool has " + pool.capacity() + " (raise --kv-blocks)");
                }
                break;
            }
            Sequence s;
            int[] prompt = g.request.prompt();
            if (options.sharePrompts()) {
                if (needPrefill) {
                    g.prompt = new BlockTable(pool);
                    prefilling.add(new Prefill(g.prompt.append(prompt.length, cache::copyBlock), prompt,
                            logits -> g.lastLogits = logits, g.callbacks));
                }
                s = new Sequence(g, g.started, g.prompt.fork());
            } else {
                BlockTable own = new BlockTable(pool);
                s = new Sequence(g, g.started, own);
                Sequence seq = s;
                prefilling.add(new Prefill(own.append(prompt.length, cache::copyBlock), prompt, logits -> seq.firstLogits = logits,
                        g.callbacks));
            }
            g.started++;
            g.awaitingFirst++;
            if (g.started == g.request.n()) {
                waiting.pollFirst();
                if (g.prompt != null) {
                    g.prompt.release();         // the samples' forks hold the prompt's blocks from here on
                    g.prompt = null;
                }
            }
            admitted.add(s);
        }
        starting.addAll(admitted);
        track();
    }

    /**
     * Runs the next prompt tokens through the model: at most {@link Options#prefillChunk} of them, from the
     * prompts in admission order (several prompts per forward, left-padded), each chunk attending to its
     * prompt's earlier chunks in the cache. A prompt whose last chunk ran hands over its next-token logits.
     */
    private void prefillChunk() {
        List<Prefill> rows = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        int budget = options.prefillChunk();
        for (Prefill p : prefilling) {
            if (budget == 0 || rows.size() == options.maxBatch()) {
                break;
            }
            int c = Math.min(p.prompt.length - p.done, budget);
            rows.add(p);
            counts.add(c);
            budget -= c;
        }
        if (rows.isEmpty()) {
            return;
        }
        int b = rows.size();
        int t = counts.stream().mapToInt(Integer::intValue).max().orElse(0);
        long[] ids = new long[b * t];
        long[] pos = new long[b * t];
        int[] docs = new int[b * t];
        java.util.Arrays.fill(docs, -1);
        List<int[]> reads = new ArrayList<>();
        List<int[]> writes = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            Prefill p = rows.get(i);
            int c = counts.get(i);
            int offset = t - c;                  // left-padded, so every row's newest token is the last column
            for (int j = 0; j < c; j++) {
                ids[i * t + offset + j] = p.prompt[p.done + j];
                pos[i * t + offset + j] = p.done + j;
                docs[i * t + offset + j] = 0;
            }
            reads.add(java.util.Arrays.copyOf(p.slots, p.done + c));
            writes.add(java.util.Arrays.copyOfRange(p.slots, p.done, p.done + c));
            prefillTokens += c;
        }
        try (NDManager m = manager.newSubManager()) {
            cache.plan(m, reads, writes, t);
            NDArray hidden = model.hiddenStates(TokenBatch.of(m, b, t, ids, pos, docs), cache);
            NDArray logits = null;
            for (int i = 0; i < b; i++) {
                Prefill p = rows.get(i);
                p.done += counts.get(i);
                if (p.done == p.prompt.length) {
                    if (logits == null) {
                        logits = model.logits(hidden.get(":, -1, :"));                     // [b, vocab]
                    }
                    NDArray row = logits.get(i);                                          // [vocab]
                    row.attach(manager);            // outlives this forward: kept until the samples' first draws
                    p.logits.accept(row);
                    prefilling.remove(p);
                }
            }
        }
    }

    /** Draws the first token of every admitted sample whose prompt is through the model; they join the batch. */
    private void startReady() {
        List<Sequence> ready = new ArrayList<>();
        for (Sequence s : starting) {
            if ((options.sharePrompts() ? s.group.lastLogits : s.firstLogits) != null) {
                ready.add(s);
            }
        }
        if (ready.isEmpty()) {
            return;
        }
        starting.removeAll(ready);
        firstDraws(ready);
        for (Sequence s : ready) {
            if (s.firstLogits != null) {
                s.firstLogits.close();
                s.firstLogits = null;
            }
            Group g = s.group;
            if (--g.awaitingFirst == 0 && g.started == g.request.n()) {
                closeLogits(g);
            }
            if (!finishIfDone(s)) {
                running.add(s);
            }
        }
        track();
    }

    /** The first token of each admitted sample, drawn from its prompt's logits in one batch. */
    private void firstDraws(List<Sequence> admitted) {
        if (admitted.isEmpty()) {
            return;
        }
        try (NDManager m = manager.newSubManager()) {
            NDList rows = new NDList();
            TokenSampler[] samplers = new TokenSampler[admitted.size()];
            for (int i = 0; i < admitted.size(); i++) {
                Sequence s = admitted.get(i);
                rows.add(options.sharePrompts() ? s.group.lastLogits : s.firstLogits);
                samplers[i] = s.sampler;
            }
            NDArray logits = NDArrays.stack(rows);                                        // [n, vocab]
            logits.attach(m);
            int[] tokens = NextTokens.draw(logits, samplers);
            for (int i = 0; i < admitted.size(); i++) {
                accept(admitted.get(i), tokens[i], logits, i);
            }
        }
    }

    private static void closeLogits(Group g) {
        if (g.lastLogits != null) {
            g.lastLogits.close();
            g.lastLogits = null;
        }
    }

    /**
     * Records the sequence's drawn token and tells the request's callbacks; the row of {@code logits} [b, vocab]
     * is read back only when the request asked for logprobs.
     */
    private void accept(Sequence s, int token, NDArray logits, int row) {
        if (s.group.request.logprobs() >= 0) {
            float[] r = logits.get(row).toFloatArray();
            accept(s, token, r, 0, r.length);
        } else {
            accept(s, token, null, 0, 0);
        }
    }

    /**
     * As above with the logits in hand: the row {@code logits[at, at + vocab)}, read only when the request asked
     * for logprobs (null is fine then).
     */
    private void accept(Sequence s, int token, float[] logits, int at, int vocab) {
        s.out.add(token);
        s.pending = token;
        generatedTokens++;
        TokenLogprob lp = null;
        if (s.group.request.logprobs() >= 0) {
            lp = TokenLogprob.of(logits, at, vocab, token, s.group.request.logprobs());
            s.logprobs.add(lp);
        }
        s.group.callbacks.onToken(s.sample, s.out, lp);
    }

    /**
     * Draws the sequence's next token from the row {@code logits[at, at + vocab)} in Java (greedy: the argmax;
     * else its sampler's draw), records it, and adds the sequence to {@code finished} if it is done.
     */
    private void drawInJava(Sequence s, float[] logits, int at, int vocab, List<Sequence> finished) {
        record(s, draw(s, logits, at, vocab), logits, at, vocab, finished);
    }

    /**
     * The sequence's next token from the row {@code logits[at, at + vocab)}: the argmax when greedy, else its
     * sampler's draw. Touches only the sequence's sampler and its row, so the rows of a batch may draw on
     * different threads.
     */
    private static int draw(Sequence s, float[] logits, int at, int vocab) {
        return s.sampler.isGreedy() ? TokenSampler.argMax(logits, at, vocab) : s.sampler.sample(logits, at, vocab);
    }

    /** Records a drawn token (and its logprobs, read from the row) and adds the sequence to {@code finished} if done. */
    private void record(Sequence s, int token, float[] logits, int at, int vocab, List<Sequence> finished) {
        accept(s, token, logits, at, vocab);
        if (finishIfDone(s)) {
            finished.add(s);
        }
    }


    private void decodeStep() {
        long start = System.nanoTime();
        int b = running.size();
        List<int[]> reads = new ArrayList<>();
        List<int[]> slots = new ArrayList<>();
        long[] ids = new long[b];
        long[] pos = new long[b];
        for (int i = 0; i < b; i++) {
            Sequence s = running.get(i);
            pos[i] = s.table.length();
            slots.add(s.table.append(1, cache::copyBlock));
            reads.add(s.table.slots());
            ids[i] = s.pending;
        }
        track();
        measureWaste();
        List<Sequence> finished = new ArrayList<>();
        VectorDecoder java = b == 1 ? loneRowDecoder() : null;
        FloatBuffer[] pools = java == null ? null : cache.views();
        if (pools != null) {
            decodeInJava(java, pools, ids[0], pos[0], reads.get(0), slots.get(0)[0], finished);
        } else {
            decodeOnLibtorch(b, ids, pos, reads, slots, finished);
        }
        running.removeAll(finished);
        decodedTokens += b;
        decodeNanos += System.nanoTime() - start;
    }

    /**
     * The step of a lone row through {@link VectorDecoder}: matrix-vector products, which run faster in Java
     * than through libtorch. Greedy rows take the argmax in Java; sampled ones draw from the logits as in a batch.
     */
    private void decodeInJava(VectorDecoder java, FloatBuffer[] pools, long id, long pos, int[] reads, int slot,
                              List<Sequence> finished) {
        float[] row = java.logits((int) id, (int) pos, pools, reads, slot);                    // [vocab]
        javaSteps++;
        drawInJava(running.get(0), row, 0, row.length, finished);
    }

    /**
     * The step of a batch (or of a lone row where Java cannot decode): one forward of every row on libtorch, then
     * the LM head in Java where the Java path is on ({@link VectorDecoder#headLogits}: libtorch's {@code sgemm}
     * repacked the whole head at every call), else on libtorch too.
     */
    private void decodeOnLibtorch(int b, long[] ids, long[] pos, List<int[]> reads, List<int[]> slots, List<Sequence> finished) {
        try (NDManager m = manager.newSubManager()) {
            cache.plan(m, reads, slots, 1);
            TokenBatch batch = TokenBatch.of(m, b, 1, ids, pos, new int[b]);
            NDArray hidden = model.hiddenStates(batch, cache);                                  // [b, 1, hidden]
            VectorDecoder head = loneRowDecoder();
            if (head != null && hidden.getDataType() == DataType.FLOAT32) {
                FloatBuffer rows = ((PtNDArray) hidden).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
                float[] logits = head.headLogits(rows, b);                                       // [b, vocab]
                javaHeads++;
                int vocab = model.config().vocabSize();
                int[] tokens = new int[b];
                VectorDecoder.forEachRow(b, i -> tokens[i] = draw(running.get(i), logits, i * vocab, vocab));
                for (int i = 0; i < b; i++) {                 // in order, on this thread: callbacks, finishing
                    record(running.get(i), tokens[i], logits, i * vocab, vocab, finished);
                }
                return;
            }
            TokenSampler[] samplers = new TokenSampler[b];
            for (int i = 0; i < b; i++) {
                samplers[i] = running.get(i).sampler;
            }
            NDArray logits = model.logits(hidden).reshape(b, -1);                               // [b, vocab]
            int[] tokens = NextTokens.draw(logits, samplers);
            for (int i = 0; i < b; i++) {
                Sequence s = running.get(i);
                accept(s, tokens[i], logits, i);
                if (finishIfDone(s)) {
                    finished.add(s);
                }
            }
        }
    }

    /** The Java decoding path for a lone row; null where libtorch decodes (adapters added since, say). */
    private VectorDecoder loneRowDecoder() {
        return model.adapters() == null ? loneRow : null;
    }

    private boolean finishIfDone(Sequence s) {
        Completion c = s.stop.check(s.out);
        if (c == null) {
            return false;
        }
        s.table.release();
        Group g = s.group;
        g.done[s.sample] = s.logprobs.isEmpty() ? c : c.withLogprobs(List.copyOf(s.logprobs));
        if (++g.finished == g.request.n()) {
            g.callbacks.onDone(List.of(g.done));
        }
        return true;
    }

    private void track() {
        peakBlocks = Math.max(peakBlocks, pool.usedBlocks());
        peakBatch = Math.max(peakBatch, running.size());
    }

    /** Adds this step's allocated and filled slots (each shared block counted once) to the waste measure. */
    private void measureWaste() {
        java.util.Map<Integer, Integer> filled = new java.util.HashMap<>();
        int bs = pool.blockSize();
        for (Sequence s : running) {
            List<Integer> blocks = s.table.blocks();
            for (int i = 0; i < blocks.size(); i++) {
                int tokens = Math.min(bs, s.table.length() - i * bs);
                filled.merge(blocks.get(i), tokens, Math::max);
            }
        }
        allocatedSlots += (long) pool.usedBlocks() * bs;
        for (int f : filled.values()) {
            filledSlots += f;
        }
    }

    @Override
    public void close() {
        cache.close();
        manager.close();
    }
}
