package org.envoi.api.mail;

import java.time.Instant;
import java.util.List;

/**
 * The background senders of this data folder's outbox, in this process and in the other Envoi processes running on it
 * (the desktop, {@code envoi} commands): those whose passes fail now, and why. A failing sender keeps trying (1 s,
 * doubling up to a minute); the Flow health screen and {@code envoi outbox list} show this so that nobody believes
 * mail is going out while it is not.
 */
public interface OutboxSenders {

    /**
     * @param pid the operating-system process of the sender
     * @param since when its passes began to fail
     * @param passes how many passes in a row failed
     * @param reason the last failure's sentence (never a secret)
     * @param nextAttempt when it tries again
     */
    record Failing(long pid, Instant since, int passes, String reason, Instant nextAttempt) {
    }

    /** The senders failing now (an empty list: every running sender works, or none runs). */
    List<Failing> failing();
}
