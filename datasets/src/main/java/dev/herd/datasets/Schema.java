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

    static final int VERSION = 5;

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
            """,
            // v2: benchmark evaluations (evals module): a run per `herd eval`, a score per task and metric with
            // its interval, and every item's outcome so two runs can be compared item by item.
            """
            CREATE TABLE eval_runs (
                id BIGINT PRIMARY KEY, model VARCHAR, tasks VARCHAR, config JSON,
                created_at TIMESTAMP DEFAULT current_timestamp);
            CREATE TABLE eval_scores (
                run_id BIGINT, task VARCHAR, metric VARCHAR, score DOUBLE, n INTEGER, ci_low DOUBLE, ci_high DOUBLE,
                stderr DOUBLE);
            CREATE TABLE eval_items (
                run_id BIGINT, task VARCHAR, item_id VARCHAR, metric VARCHAR, value DOUBLE, response VARCHAR);
            """,
            // v3: rounds of the alignment loop (the policy each sampled from, the candidate that won), so a
            // resumed loop knows where it stands without re-deriving it from the runs.
            """
            CREATE TABLE rounds (
                round INTEGER PRIMARY KEY, policy VARCHAR, best VARCHAR, status VARCHAR, config JSON, metrics JSON,
                started_at TIMESTAMP DEFAULT current_timestamp, finished_at TIMESTAMP);
            """,
            // v4: each prompt's reference answer and verifier kind, so rejection sampling can verify prompts
            // sampled from the store (db:WHERE) as it does prompts read from a file.
            """
            ALTER TABLE prompts ADD COLUMN answer VARCHAR;
            ALTER TABLE prompts ADD COLUMN verifier VARCHAR;
            """,
            // v5: a prompt's worked solution where its answer was cut from one (GSM8K's "... #### 42": answer 42).
            """
            ALTER TABLE prompts ADD COLUMN solution VARCHAR;
            """);
}
