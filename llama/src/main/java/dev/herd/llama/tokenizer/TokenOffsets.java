package dev.herd.llama.tokenizer;

/**
 * Token ids with the character range each came from.
 *
 * @param spans per token {start, end} in UTF-16 units of the encoded text; {-1, -1} for an added BOS
 */
public record TokenOffsets(int[] ids, int[][] spans) {}
