package dev.herd.llama.train;

/** Linear warm-up from 0 to the peak, then cosine, linear or no decay down to {@code minLrRatio · peak}. */
record LrSchedule(double peak, int warmupSteps, int totalSteps, String kind, double minLrRatio) {

    public static LrSchedule of(TrainingConfig c, int totalSteps) {
        return new LrSchedule(c.lr(), c.warmupSteps(), totalSteps, c.schedule(), c.minLrRatio());
    }

    /** The learning rate of optimizer step {@code step} (1-based, as HF counts: step 1 is the first update). */
    public double at(int step) {
        if (warmupSteps > 0 && step <= warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (kind.equals("constant") || totalSteps <= warmupSteps) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        double floor = peak * minLrRatio;
        double shape = kind.equals("linear") ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
        return floor + (peak - floor) * shape;
    }
}
