package dev.herd.llama.chat;

/** What a token of a rendered conversation is, for the loss masks of SFT and DPO. */
public enum TokenKind {
    /** Template markup: begin-of-text, {@code <|start_header_id|>role<|end_header_id|>\n\n}, end of a non-assistant turn, system preamble. */
    FORMAT,
    /** Content of system, user and tool messages. */
    PROMPT_CONTENT,
    /** Content the assistant wrote (text or a rendered tool call). */
    ASSISTANT_CONTENT,
    /** The {@code <|eot_id|>} or {@code <|eom_id|>} that closes an assistant turn: the model must learn to stop. */
    ASSISTANT_END
}
