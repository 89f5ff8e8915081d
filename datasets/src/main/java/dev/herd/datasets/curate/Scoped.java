package dev.herd.datasets.curate;

import dev.herd.datasets.Store;
import java.util.Map;

/**
 * A step limited to some rows, e.g. this round's new SFT data ({@code "round = 3"}): rows outside the scope are
 * neither looked at nor removed, so earlier rounds' data survives a later round's mix.
 *
 * @param where SQL condition over the step's table
 */
record Scoped(CurationStep step, String where) implements CurationStep {

    @Override
    public String name() {
        return step.name();
    }

    @Override
    public Map<String, Long> apply(Store store, String outer) throws Exception {
        boolean hasOuter = outer != null && !outer.isBlank();
        boolean hasOwn = where != null && !where.isBlank();
        String both = hasOuter && hasOwn ? "(" + outer + ") AND (" + where + ")" : hasOuter ? outer : where;
        return step.apply(store, both);
    }
}
