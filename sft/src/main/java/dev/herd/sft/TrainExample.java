package dev.herd.sft;

/**
 * One conversation ready for next-token training.
 *
 * @param input  token ids fed to the model (the rendered conversation without its last token)
 * @param target the next token at each position
 * @param loss   whether each target counts: assistant content and the end-of-turn closing it
 */
record TrainExample(int[] input, int[] target, boolean[] loss) {

    public int length() {
        return input.length;
    }

    public int targetTokens() {
        int n = 0;
        for (boolean b : loss) {
            if (b) {
                n++;
            }
        }
        return n;
    }
}
