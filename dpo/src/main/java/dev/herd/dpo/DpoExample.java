package dev.herd.dpo;

/**
 * A preference pair ready for training: both sequences and their log-probs under the frozen reference model.
 *
 * @param refChosen   log π_ref(better | prompt), summed over the scored tokens
 * @param refRejected log π_ref(worse | prompt)
 */
record DpoExample(ScoredSequence chosen, ScoredSequence rejected, double refChosen, double refRejected) {

    public DpoExample withReference(double c, double r) {
        return new DpoExample(chosen, rejected, c, r);
    }
}
