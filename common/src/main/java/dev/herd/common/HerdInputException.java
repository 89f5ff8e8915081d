package dev.herd.common;

/**
 * Bad input from a user: a malformed file, a missing key, a tensor of the wrong shape.
 *
 * <p>The message is the one line the CLI prints (it must name the file and the key, line or tensor);
 * the command then exits with code 2 and no stack trace unless {@code --debug} is given.
 */
public class HerdInputException extends RuntimeException {

    public HerdInputException(String message) {
        super(message);
    }

    public HerdInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
