package org.envoi.api.mail;

import java.time.Instant;
import java.util.Objects;

/**
 * One mail in the outbox and where it stands, as the Outbox view shows it.
 *
 * @param id the outbox's own id
 * @param messageId the mail's Message-ID, stable across attempts
 * @param flowId the flow it goes through
 * @param operatorId the operator it goes for (or the shared mailbox)
 * @param subject its subject, for the view
 * @param state where it stands
 * @param attempts how many times it was handed to a server
 * @param nextAttempt when a retry is due
 * @param lastReply the server's last answer, or the reason it waits or failed
 * @param updated when the state last changed
 */
public record OutboxEntry(long id, String messageId, String flowId, String operatorId, String subject, State state,
        int attempts, Instant nextAttempt, String lastReply, Instant updated) {

    public enum State {
        /** Written, not tried yet. */
        QUEUED,
        /** Handed to the server right now; after a crash it is retried with the same Message-ID. */
        SENDING,
        /** Accepted by the server; {@code lastReply} holds its answer. */
        SENT,
        /** A transient failure (network, 4xx, throttling): retried at {@code nextAttempt}. */
        RETRY,
        /** Refused for good (5xx, invalid mail): not retried; {@code lastReply} says why. */
        FAILED,
        /** The operator must consent again; goes as soon as a token can be had. */
        WAITING_CONSENT
    }

    public OutboxEntry {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(state, "state");
    }
}
