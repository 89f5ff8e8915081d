package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import dev.herd.common.HerdInputException;
import java.util.Map;

/**
 * Sets the {@code difficulty} tag of active SFT rows from a provided scorer: a SQL expression over the row's
 * columns (e.g. {@code CASE WHEN length(messages) > 2000 THEN 'hard' ELSE 'easy' END}, or a lookup into a
 * table of scores that an external scorer wrote).
 */
record DifficultyTagger(String sql) implements CurationStep {

    @Override
    public String name() {
        return "difficulty";
    }

    @Override
    public Map<String, Long> apply(Store store, String where) {
        if (sql == null || sql.isBlank()) {
            throw new HerdInputException("curate: step 'difficulty' needs \"sql\": an expression giving the tag");
        }
        long n = store.update("UPDATE sft SET difficulty = (" + sql + ") WHERE removed_by IS NULL" + CurationStep.and(where));
        return Map.of("tagged", n);
    }
}
