package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.util.Map;

/** One step of {@code herd data curate}: it marks rows removed (never deletes) and reports what it did. */
public interface CurationStep {

    /** The step's name, as written in the config and in {@code removed_by}. */
    String name();

    /**
     * Applies the step inside the curation's transaction.
     *
     * @param where SQL condition over the step's table limiting the rows it looks at (e.g. {@code "round = 3"}),
     *              or null for every active row
     * @return counts to report, e.g. {"removed": 12} or one entry per rule
     */
    Map<String, Long> apply(Store store, String where) throws Exception;

    /** {@code where} as an extra condition after {@code removed_by IS NULL}, or nothing. */
    static String and(String where) {
        return where == null || where.isBlank() ? "" : " AND (" + where + ")";
    }
}
