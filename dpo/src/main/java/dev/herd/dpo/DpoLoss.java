package dev.herd.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.herd.llama.Tensors;

/**
 * Llama 3's DPO loss for one pair:
 * <pre>
 *   −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))])  +  α · (−log π(y_w|x)) / |y_w|
 * </pre>
 * with log-probs summed over the scored (non-formatting) response tokens. The implicit rewards are
 * β·(log π − log π_ref); a pair is "correct" when the chosen reward beats the rejected one.
 */
public record DpoLoss(double beta, double nllAlpha) {

    /** One pair's loss in double precision: the formula itself, for reports and as a reference in tests. */
    public double value(double policyChosen, double refChosen, double policyRejected, double refRejected, int chosenTokens) {
        double z = beta * ((policyChosen - refChosen) - (policyRejected - refRejected));
        return softplus(-z) + nllAlpha * (-policyChosen) / chosenTokens;
    }

    /** log(1 + e^x) without overflow. */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /**
     * Per-pair losses [n] from per-pair log-probs [n] (policy ones with gradients, reference ones constants) and
     * chosen token counts [n].
     */
    public NDArray losses(NDArray policyChosen, NDArray refChosen, NDArray policyRejected, NDArray refRejected,
                          NDArray chosenTokens) {
        NDManager m = policyChosen.getManager();
        NDArray z = policyChosen.sub(refChosen).sub(policyRejected.sub(refRejected)).mul(Tensors.scalar(m, (float) beta));
        // −log σ(z) = softplus(−z) = max(−z, 0) + log(1 + e^{−|z|}), stable for large |z|.
        NDArray zero = Tensors.scalar(m, 0f);
        NDArray one = Tensors.scalar(m, 1f);
        NDArray dpo = z.neg().maximum(zero).add(z.abs().neg().exp().add(one).log());
        NDArray nll = policyChosen.neg().div(chosenTokens).mul(Tensors.scalar(m, (float) nllAlpha));
        return dpo.add(nll);
    }
}
