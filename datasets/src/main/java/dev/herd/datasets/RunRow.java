package dev.herd.datasets;

/**
 * One stage run: what trained (or sampled, or evaluated) on what, with its config and metrics.
 *
 * @param config  the stage's settings as JSON text
 * @param inputs  what it read (models, data queries) as JSON text
 * @param output  what it made (a model folder, a table slice), or null while running
 * @param metrics its measurements as JSON text, or null while running
 * @param status  running, done, failed or discarded
 */
public record RunRow(long id, Integer round, String stage, String name, String config, String inputs, String output,
                     String metrics, String status) {

    public boolean done() {
        return "done".equals(status);
    }
}
