package dev.herd.openai;

/**
 * A request that gets an {@link ErrorResponse} instead of an answer: the HTTP status and what to tell the
 * client. Thrown by {@link OpenAiRequests} for bad bodies and by the server for everything else it refuses.
 */
public final class OpenAiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String code;

    public OpenAiException(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    /** A 400 {@code invalid_request_error}: the body asks for something wrong. */
    public static OpenAiException bad(String message) {
        return new OpenAiException(400, OpenAiError.INVALID_REQUEST, null, message);
    }

    /** A 500 {@code server_error}: the request was fine, the server failed it. */
    public static OpenAiException server(String message) {
        return new OpenAiException(500, OpenAiError.SERVER_ERROR, null, message);
    }

    public int status() {
        return status;
    }

    public ErrorResponse response() {
        return new ErrorResponse(new OpenAiError(getMessage(), type, null, code));
    }
}
