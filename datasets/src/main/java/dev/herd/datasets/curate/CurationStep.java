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
     * @return counts to report, e.g. {"removed": 12} or one entry per rule
     */
    Map<String, Long> apply(Store store) throws Exception;
}
