package org.envoi.api.transport;

import java.time.Duration;
import java.util.Objects;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

/**
 * A transient refusal that says when to come back (HTTP {@code Retry-After} on a 429 or 503, SMTP servers that give a
 * delay): the outbox's RETRY is due after {@link #after()}, not earlier, whatever its own back-off.
 */
public class RetryLater extends EnvoiException {

    private static final long serialVersionUID = 1L;

    private final Duration after;

    public RetryLater(String message, Duration after) {
        super(ErrorCode.MAIL_UNAVAILABLE, null, message, null);
        this.after = Objects.requireNonNull(after, "after");
    }

    public Duration after() {
        return after;
    }
}
