package org.envoi.api;

import java.util.Objects;

/**
 * An error with a stable {@link ErrorCode} and a sentence that says what went wrong and what to do.
 * The message never carries a secret (token, password, client secret): callers build it from field names and
 * public values only.
 */
public class EnvoiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String field;

    public EnvoiException(ErrorCode code, String message) {
        this(code, null, message, null);
    }

    public EnvoiException(ErrorCode code, String field, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
        this.field = field;
    }

    public ErrorCode code() {
        return code;
    }

    /** The flow field at fault for {@link ErrorCode#INVALID_FLOW_DATA}, or {@code null}. */
    public String field() {
        return field;
    }

    /** "CODE: sentence", the one-line form the CLI prints. */
    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
