package dev.herd.datasets;

import java.util.ArrayList;
import java.util.List;

/** The queries behind {@code herd data stats}: counts by table, round, source, tag and strength, and lengths. */
public final class Stats {

    private Stats() {}

    /** A titled query whose result is printed as a table. */
    public record Section(String title, String sql) {}

    public static List<Section> sections() {
        List<Section> s = new ArrayList<>();
        s.add(new Section("rows", """
                SELECT 'prompts' AS "table", count(*) FILTER (WHERE removed_by IS NULL) AS active, count(*) AS total FROM prompts
                UNION ALL SELECT 'samples', count(*), count(*) FROM samples
                UNION ALL SELECT 'scores', count(*), count(*) FROM scores
                UNION ALL SELECT 'preferences', count(*) FILTER (WHERE removed_by IS NULL), count(*) FROM preferences
                UNION ALL SELECT 'sft', count(*) FILTER (WHERE removed_by IS NULL), count(*) FROM sft
                UNION ALL SELECT 'runs', count(*), count(*) FROM runs
                UNION ALL SELECT 'rounds', count(*), count(*) FROM rounds"""));
        s.add(new Section("prompts by source, topic and split", """
                SELECT source, topic, split, count(*) AS rows FROM prompts WHERE removed_by IS NULL
                GROUP BY ALL ORDER BY rows DESC, source LIMIT 30"""));
        s.add(new Section("samples by round and model", """
                SELECT round, model, count(*) AS rows, count(DISTINCT prompt_id) AS prompts FROM samples
                GROUP BY ALL ORDER BY round NULLS FIRST, model"""));
        s.add(new Section("scores by scorer", """
                SELECT scorer, count(*) AS rows, round(avg(value), 4) AS mean, round(min(value), 4) AS min,
                       round(max(value), 4) AS max FROM scores GROUP BY ALL ORDER BY scorer"""));
        s.add(new Section("sft by round, origin and source", """
                SELECT round, origin, source, count(*) AS rows FROM sft WHERE removed_by IS NULL
                GROUP BY ALL ORDER BY round NULLS FIRST, origin, source"""));
        s.add(new Section("sft by topic and difficulty", """
                SELECT topic, difficulty, count(*) AS rows FROM sft WHERE removed_by IS NULL
                GROUP BY ALL ORDER BY rows DESC LIMIT 30"""));
        s.add(new Section("preferences by round and strength", """
                SELECT round, strength, count(*) AS rows, count(edited) AS edited FROM preferences WHERE removed_by IS NULL
                GROUP BY ALL ORDER BY round NULLS FIRST, strength"""));
        s.add(new Section("removed by curation", """
                SELECT 'sft' AS "table", removed_by, count(*) AS rows FROM sft WHERE removed_by IS NOT NULL GROUP BY ALL
                UNION ALL SELECT 'preferences', removed_by, count(*) FROM preferences WHERE removed_by IS NOT NULL GROUP BY ALL
                UNION ALL SELECT 'prompts', removed_by, count(*) FROM prompts WHERE removed_by IS NOT NULL GROUP BY ALL
                ORDER BY 1, 2"""));
        s.add(new Section("lengths (characters)", """
                WITH l AS (
                  SELECT 'sft response' AS what, length(json_extract_string(messages, '$[#-1].content')) AS n
                    FROM sft WHERE removed_by IS NULL
                  UNION ALL SELECT 'chosen', length(chosen) FROM preferences WHERE removed_by IS NULL
                  UNION ALL SELECT 'rejected', length(rejected) FROM preferences WHERE removed_by IS NULL
                  UNION ALL SELECT 'prompt', length(coalesce(prompt, messages::VARCHAR)) FROM prompts WHERE removed_by IS NULL)
                SELECT what, count(*) AS rows, min(n) AS min, quantile_disc(n, 0.1) AS p10, median(n) AS p50,
                       quantile_disc(n, 0.9) AS p90, max(n) AS max
                FROM l GROUP BY what ORDER BY what"""));
        return s;
    }
}
