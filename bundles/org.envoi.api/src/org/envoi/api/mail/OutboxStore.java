package org.envoi.api.mail;

import java.time.Instant;
import java.util.List;

/**
 * What the outbox worker needs from the outbox's storage. A replacement (an ERP's own tables) implements this with the
 * same guarantees: a claimed entry is SENDING before it goes, and every transition is durable when the call returns.
 */
public interface OutboxStore extends Outbox {

    /** A claimed entry with its mail. */
    record Claimed(OutboxEntry entry, OutgoingMail mail) {
    }

    /** Marks up to {@code max} due entries (QUEUED, or RETRY whose time has come) SENDING and returns them, oldest first. */
    List<Claimed> claimDue(Instant now, int max);

    void markSent(long id, String reply, Instant now);

    /** One mail the server accepted, with its answer. */
    record Sent(long id, String reply, Instant at) {
    }

    /**
     * Marks several entries SENT: each is durable when the call returns. This default marks them one by one; a store
     * may commit them as one transaction, one write instead of one per mail.
     */
    default void markSent(List<Sent> sent) {
        sent.forEach(s -> markSent(s.id(), s.reply(), s.at()));
    }

    /**
     * Called the moment the server accepted a claimed entry, before {@link #markSent}. A store that can make "this one
     * was accepted" durable at once, more cheaply than a SENT mark (the desktop's H2 store removes the mail's content
     * file), does so and returns true: the SENT mark may then come later, with others, and {@link #recoverInterrupted}
     * must count such an entry as sent. This default returns false: the SENT mark is written at once.
     */
    default boolean accepted(long id) {
        return false;
    }

    void markRetry(long id, String reason, Instant next, Instant now);

    void markFailed(long id, String reason, Instant now);

    void markWaitingConsent(long id, String reason, Instant now);

    /** Puts a claimed entry back without counting an attempt (its connection was never used). */
    void release(long id, Instant now);

    /**
     * After a crash: entries left SENDING may or may not have reached the server; they go again with the same
     * Message-ID, except those the store knows were {@link #accepted}, which are SENT. @return how many go again
     */
    int recoverInterrupted(Instant now);

    /** WAITING_CONSENT entries of a flow and operator go back to the queue (consent was given). */
    int consentGiven(String flowId, String operatorId, Instant now);
}
