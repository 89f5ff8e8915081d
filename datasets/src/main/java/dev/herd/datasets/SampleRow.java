package dev.herd.datasets;

/**
 * One generated response to a stored prompt.
 *
 * @param params sampling parameters as JSON text (temperature, top_p, seed, ...)
 */
public record SampleRow(long id, long promptId, String response, String model, Integer round, String systemPrompt,
                        String params, Long runId) {}
