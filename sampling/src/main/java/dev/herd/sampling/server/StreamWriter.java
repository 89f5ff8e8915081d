package dev.herd.sampling.server;

import dev.herd.llama.tokenizer.LlamaTokenizer;

import dev.herd.openai.Logprobs;

import com.sun.net.httpserver.HttpExchange;
import dev.herd.llama.chat.ChatMessage;
import dev.herd.openai.ChatChunkChoice;
import dev.herd.openai.ChatCompletionChunk;
import dev.herd.openai.ErrorResponse;
import dev.herd.openai.OpenAiError;
import dev.herd.openai.OpenAiJson;
import dev.herd.openai.TextChoice;
import dev.herd.openai.TextCompletion;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.engine.TokenLogprob;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Answers a {@code stream: true} {@link Job} as server-sent events: text as the engine draws it (held back where
 * it could still turn into a stop string, see {@link StreamText}), each choice's finish reason in its last
 * event, then {@code [DONE]}. A chat stream opens every choice with the assistant role, as OpenAI does.
 */
final class StreamWriter {

    /** What the engine thread hands the request's thread. */
    private record Event(int choice, String delta, String finishReason, RuntimeException error, boolean promptDone,
                         Logprobs logprobs) {}

    private final EngineLoop engine;
    private final StreamText text;
    private final LlamaTokenizer tok;
    private final String modelId;

    StreamWriter(EngineLoop engine, StreamText text, LlamaTokenizer tok, String modelId) {
        this.engine = engine;
        this.text = text;
        this.tok = tok;
        this.modelId = modelId;
    }

    void write(HttpExchange ex, Job job) throws IOException {
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<PagedEngine.RequestCallbacks> submitted = new java.util.ArrayList<>();
        for (int pi = 0; pi < job.prompts().size(); pi++) {
            submitted.add(submit(job, pi, events));
        }
        try {
            stream(ex, job, events);
        } catch (IOException clientGone) {
            // The client hung up: stop its sequences now rather than decode for no one while others wait.
            submitted.forEach(engine::cancel);
            throw clientGone;
        }
    }

    private void stream(HttpExchange ex, Job job, LinkedBlockingQueue<Event> events) throws IOException {
        String id = job.newId();
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        long createdAt = System.currentTimeMillis() / 1000;
        if (job.chat()) {
            for (int i = 0; i < job.prompts().size() * job.n(); i++) {
                send(out, chatChunk(id, createdAt, new ChatChunkChoice(i, new ChatMessage("assistant", ""), null)));
            }
        }
        int promptsLeft = job.prompts().size();
        while (promptsLeft > 0) {
            Event e;
            try {
                e = events.take();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
            if (e.error() != null) {
                send(out, new ErrorResponse(new OpenAiError("generation failed: " + e.error().getMessage(),
                        OpenAiError.SERVER_ERROR, null, null)));
                break;
            }
            if (e.promptDone()) {
                promptsLeft--;
                continue;
            }
            if (e.delta().isEmpty() && e.finishReason() == null && e.logprobs() == null) {
                continue;
            }
            if (job.chat()) {
                // The last event may carry only the finish reason: its delta is then {}.
                ChatMessage delta = new ChatMessage(null, e.delta().isEmpty() ? null : e.delta());
                send(out, chatChunk(id, createdAt, new ChatChunkChoice(e.choice(), delta, e.finishReason())));
            } else {
                send(out, new TextCompletion(id, TextCompletion.OBJECT, createdAt, modelId,
                        List.of(new TextChoice(e.choice(), e.delta(), e.logprobs(), e.finishReason())), null));
            }
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Queues prompt {@code pi}; its samples' new text arrives on {@code events} as the engine draws tokens. */
    private PagedEngine.RequestCallbacks submit(Job job, int pi, LinkedBlockingQueue<Event> events) {
        int base = pi * job.n();
        int[] emitted = new int[job.n()];       // characters already sent, per sample
        int[] sentTokens = new int[job.n()];    // drawn tokens whose log-probs were sent, per sample
        List<List<TokenLogprob>> pending = new java.util.ArrayList<>();
        for (int i = 0; i < job.n(); i++) {
            pending.add(new java.util.ArrayList<>());
        }
        boolean withLogprobs = !job.chat() && job.logprobs() >= 0;
        PagedEngine.RequestCallbacks callbacks = new PagedEngine.RequestCallbacks() {
            @Override
            public void onToken(int sample, List<Integer> tokens, TokenLogprob lp) {
                if (withLogprobs && lp != null) {
                    pending.get(sample).add(lp);
                }
                String safe = text.safePrefix(tokens, job.stopIds(), job.stop());
                if (safe.length() > emitted[sample]) {
                    // The tokens drawn since the last event go with the text it releases.
                    Logprobs l = withLogprobs ? LegacyLogprobs.of(pending.get(sample), tok, emitted[sample]) : null;
                    sentTokens[sample] += pending.get(sample).size();
                    pending.get(sample).clear();
                    events.add(new Event(base + sample, safe.substring(emitted[sample]), null, null, false, l));
                    emitted[sample] = safe.length();
                }
            }

            @Override
            public void onDone(List<Completion> samples) {
                for (int i = 0; i < samples.size(); i++) {
                    String all = samples.get(i).text();
                    String rest = all.length() > emitted[i] ? all.substring(emitted[i]) : "";
                    List<TokenLogprob> drawn = samples.get(i).logprobs();
                    Logprobs l = withLogprobs && drawn != null
                            ? LegacyLogprobs.of(drawn.subList(Math.min(sentTokens[i], drawn.size()), drawn.size()), tok, emitted[i]) : null;
                    events.add(new Event(base + i, rest, samples.get(i).finishReason(), null, false, l));
                }
                events.add(new Event(-1, null, null, null, true, null));
            }

            @Override
            public void onError(RuntimeException e) {
                events.add(new Event(-1, null, null, e, true, null));
            }
        };
        engine.submit(job.request(pi), callbacks);
        return callbacks;
    }

    private ChatCompletionChunk chatChunk(String id, long createdAt, ChatChunkChoice choice) {
        return new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT, createdAt, modelId, List.of(choice));
    }

    private static void send(OutputStream out, Object record) throws IOException {
        out.write(("data: " + OpenAiJson.write(record) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
