package dev.herd.datasets;

import java.util.List;

/**
 * The store's tables, versioned. A store records its version in {@code herd_meta}; opening an older one runs
 * the migrations after it in order, a newer one is refused.
 *
 * <p>Lineage: every row remembers the import or run that wrote it ({@code import_id} / {@code run_id}),
 * samples point at their prompt, scores at their sample, SFT examples made by rejection sampling at the sample
 * they came from. Curation never deletes: it sets {@code removed_by} to the step that dropped a row, so every
 * round can be asked what was dropped and why.
 */
final class Schema {

    static final int VERSION = 1;

    private Schema() {}

    /** SQL that turns version {@code i} into {@code i + 1}; index 0 creates version 1 from nothing. */
    static final List<String> MIGRATIONS = List.of("""
            CREATE TABLE herd_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
            CREATE TABLE imports (
                id BIGINT PRIMARY KEY, path VARCHAR, kind VARCHAR, format VARCHAR, rows BIGINT,
                imported_at TIMESTAMP DEFAULT current_timestamp);
            CREATE TABLE runs (
                id BIGINT PRIMARY KEY, round INTEGER, stage VARCHAR, name VARCHAR, config JSON, inputs JSON,
                output VARCHAR, metrics JSON, status VARCHAR, started_at TIMESTAMP DEFAULT current_timestamp,
                finished_at TIMESTAMP);
            CREATE TABLE prompts (
                id BIGINT PRIMARY KEY, prompt VARCHAR, messages JSON, source VARCHAR, topic VARCHAR,
                difficulty VARCHAR, tags JSON, split VARCHAR, import_id BIGINT, removed_by VARCHAR);
            CREATE TABLE samples (
                id BIGINT PRIMARY KEY, prompt_id BIGINT, response VARCHAR, model VARCHAR, round INTEGER,
                system_prompt VARCHAR, params JSON, run_id BIGINT, created_at TIMESTAMP DEFAULT current_timestamp);
            CREATE TABLE scores (
                sample_id BIGINT, scorer VARCHAR, value DOUBLE, run_id BIGINT);
            CREATE TABLE preferences (
                id BIGINT PRIMARY KEY, prompt JSON, chosen VARCHAR, rejected VARCHAR, edited VARCHAR,
                strength VARCHAR, source VARCHAR, round INTEGER, split VARCHAR, import_id BIGINT, run_id BIGINT,
                removed_by VARCHAR);
            CREATE TABLE sft (
                id BIGINT PRIMARY KEY, messages JSON, origin VARCHAR, round INTEGER, source VARCHAR, topic VARCHAR,
                difficulty VARCHAR, tags JSON, split VARCHAR, score DOUBLE, sample_id BIGINT, import_id BIGINT,
                run_id BIGINT, removed_by VARCHAR);
            """);
}
