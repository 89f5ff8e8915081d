package dev.herd.evals.ifeval;

/** {@code punctuation:no_comma}: not a single ',' (other commas, such as '，', are not counted, as in the reference). */
record Punctuation() implements Instruction {
    @Override
    public boolean followedBy(String response) {
        return response.indexOf(',') < 0;
    }
}
