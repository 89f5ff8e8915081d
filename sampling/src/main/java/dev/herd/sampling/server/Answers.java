package dev.herd.sampling.server;

import dev.herd.llama.chat.ChatMessage;
import dev.herd.llama.tokenizer.LlamaTokenizer;
import dev.herd.openai.ChatChoice;
import dev.herd.openai.ChatCompletion;
import dev.herd.openai.Logprobs;
import dev.herd.openai.OpenAiException;
import dev.herd.openai.TextChoice;
import dev.herd.openai.TextCompletion;
import dev.herd.openai.Usage;
import dev.herd.sampling.engine.Completion;
import dev.herd.sampling.engine.EngineLoop;
import dev.herd.sampling.engine.PagedEngine;
import dev.herd.sampling.engine.TokenLogprob;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a {@link Job} on the engine and answers it whole (requests without {@code stream}); a client that hangs up
 * meanwhile (seen by its {@link Heartbeat}) has its sequences cancelled.
 */
final class Answers {

    private final EngineLoop engine;
    private final LlamaTokenizer tok;
    private final String modelId;

    Answers(EngineLoop engine, LlamaTokenizer tok, String modelId) {
        this.engine = engine;
        this.tok = tok;
        this.modelId = modelId;
    }

    ChatCompletion chat(Job job, Heartbeat client) throws IOException {
        List<List<Completion>> done = run(job, client);
        List<ChatChoice> choices = new ArrayList<>();
        for (List<Completion> cs : done) {
            for (Completion c : cs) {
                choices.add(new ChatChoice(choices.size(), ChatMessage.assistant(c.text()), null, c.finishReason()));
            }
        }
        return new ChatCompletion(job.newId(), ChatCompletion.OBJECT, now(), modelId, choices, usage(job, done));
    }

    TextCompletion text(Job job, Heartbeat client) throws IOException {
        List<List<Completion>> done = run(job, client);
        List<TextChoice> choices = new ArrayList<>();
        for (int p = 0; p < done.size(); p++) {
            Echo echo = job.echo() == null ? null : echo(job.echo().get(p), job.prompts().get(p), job.logprobs());
            for (Completion c : done.get(p)) {
                if (echo == null) {
                    choices.add(new TextChoice(choices.size(), c.text(), c.logprobs() != null ? logprobs(c) : null,
                            c.finishReason()));
                } else {
                    Logprobs lp = job.logprobs() < 0 ? null
                            : concat(echo.prompt(), c.logprobs() != null ? logprobs(c) : null, echo.text().length());
                    choices.add(new TextChoice(choices.size(), echo.text() + c.text(), lp, c.finishReason()));
                }
            }
        }
        return new TextCompletion(job.newId(), TextCompletion.OBJECT, now(), modelId, choices, usage(job, done));
    }

    /**
     * Every prompt's samples, in order; all prompts are submitted before any is waited for, to share the batch.
     *
     * @throws IOException when the client hung up before the answer was ready; its sequences are then cancelled
     */
    private List<List<Completion>> run(Job job, Heartbeat client) throws IOException {
        List<CompletableFuture<List<Completion>>> futures = new ArrayList<>();
        List<PagedEngine.RequestCallbacks> submitted = new ArrayList<>();
        for (int p = 0; p < job.prompts().size(); p++) {
            CompletableFuture<List<Completion>> f = new CompletableFuture<>();
            PagedEngine.RequestCallbacks callbacks = new PagedEngine.RequestCallbacks() {
                @Override
                public void onDone(List<Completion> samples) {
                    f.complete(samples);
                }

                @Override
                public void onError(RuntimeException e) {
                    f.completeExceptionally(e);
                }
            };
            engine.submit(job.request(p), callbacks);
            submitted.add(callbacks);
            futures.add(f);
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
        while (!all.isDone()) {
            try {
                all.get(Heartbeat.BEAT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException notYet) {
                try {
                    client.beat();
                } catch (IOException clientGone) {
                    // As for a stream: stop its sequences now rather than decode for no one while others wait.
                    submitted.forEach(engine::cancel);
                    throw clientGone;
                }
            } catch (ExecutionException failed) {
                break;   // told below, prompt by prompt
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                submitted.forEach(engine::cancel);
                throw new IOException("interrupted while waiting for the engine", e);
            }
        }
        List<List<Completion>> out = new ArrayList<>();
        for (CompletableFuture<List<Completion>> f : futures) {
            try {
                out.add(f.join());
            } catch (RuntimeException e) {
                throw OpenAiException.server("generation failed: " + e.getMessage());
            }
        }
        return out;
    }

    private static Usage usage(Job job, List<List<Completion>> done) {
        long promptTokens = 0;
        long completionTokens = 0;
        for (int p = 0; p < done.size(); p++) {
            promptTokens += job.prompts().get(p).length;
            for (Completion c : done.get(p)) {
                completionTokens += c.tokens().length;
            }
        }
        return Usage.of(promptTokens, completionTokens);
    }

    /**
     * A prompt echoed before its choices: its text, and its tokens with their log-probs (the first has none) and
     * where each starts in the text, for {@code logprobs} answers.
     */
    private record Echo(String text, Logprobs prompt) {}

    /** The prompt's log-probs followed by the choice's, whose offsets run on after the prompt's text. */
    private static Logprobs concat(Logprobs prompt, Logprobs choice, int shift) {
        List<String> tokens = new ArrayList<>(prompt.tokens());
        List<Double> values = new ArrayList<>(prompt.tokenLogprobs());
        List<Map<String, Double>> top = new ArrayList<>(prompt.topLogprobs());
        List<Integer> offsets = new ArrayList<>(prompt.textOffset());
        if (choice != null) {
            tokens.addAll(choice.tokens());
            values.addAll(choice.tokenLogprobs());
            top.addAll(choice.topLogprobs());
            choice.textOffset().forEach(o -> offsets.add(o + shift));
        }
        return new Logprobs(tokens, values, top, offsets);
    }

    private Echo echo(String text, int[] ids, int top) {
        TokenLogprob[] lp = engine.withModel(model -> PromptLogprobs.of(model, ids, top));
        int[][] spans = tok.encodeWithOffsets(text, true, true).spans();
        List<String> tokens = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Map<String, Double>> alts = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            tokens.add(tok.decode(new int[] {ids[i]}, false));
            values.add(lp[i] == null ? null : lp[i].logprob());
            alts.add(lp[i] == null ? null : LegacyLogprobs.alternatives(lp[i], tok));
            offsets.add(i < spans.length ? Math.max(0, spans[i][0]) : text.length());
        }
        return new Echo(text, new Logprobs(tokens, values, alts, offsets));
    }


    /** OpenAI's legacy log-probs of a choice's drawn tokens. */
    private Logprobs logprobs(Completion c) {
        return LegacyLogprobs.of(c.logprobs(), tok, 0);
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
