package dev.herd.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.Tensors;
import dev.herd.llama.train.Softplus;

/**
 * Llama 3's DPO loss for one pair:
 * <pre>
 *   −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))])  +  α · (−log π(y_w|x)) / |y_w|
 * </pre>
 * with log-probs summed over the scored (non-formatting) response tokens. The implicit rewards are
 * β·(log π − log π_ref); a pair is "correct" when the chosen reward beats the rejected one.
 */
record DpoLoss(double beta, double nllAlpha) {

    /** One pair's loss in double precision: the formula itself, for reports and as a reference in tests. */
    public double value(double policyChosen, double refChosen, double policyRejected, double refRejected, int chosenTokens) {
        double z = beta * ((policyChosen - refChosen) - (policyRejected - refRejected));
        return Softplus.of(-z) + nllAlpha * (-policyChosen) / chosenTokens;
    }

    /**
     * Per-pair losses [n] from per-pair log-probs [n] (policy ones with gradients, reference ones constants) and
     * chosen token counts [n].
     */
    public NDArray losses(NDArray policyChosen, NDArray refChosen, NDArray policyRejected, NDArray refRejected,
                          NDArray chosenTokens) {
        NDManager m = policyChosen.getManager();
        NDArray z = policyChosen.sub(refChosen).sub(policyRejected.sub(refRejected)).mul(Tensors.scalar(m, (float) beta));
        NDArray dpo = Softplus.of(z.neg());                           // [n] −log σ(z), stable for large |z|
        NDArray nll = policyChosen.neg().div(chosenTokens).mul(Tensors.scalar(m, (float) nllAlpha));
        return dpo.add(nll);
    }
}
