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

    /**
     * Marks up to {@code max} due entries (QUEUED, or RETRY whose time has come) SENDING and returns them, oldest first.
     * The claim holds them for a while (the store's lease) against {@link #recoverInterrupted} in other processes.
     */
    List<Claimed> claimDue(Instant now, int max);

    /**
     * The process that claimed these entries is still sending them: their claim is renewed from {@code now}, so that
     * another process serving the same outbox (a CLI command beside the desktop, another desk on a shared database)
     * does not take them back. The worker calls it every 30 s from its own thread, whatever a send is waiting for.
     * This default does nothing: a store without leases.
     */
    default void keepClaimed(List<Long> ids, Instant now) {
    }

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
     * was accepted" durable before returning (the desktop's H2 store removes the mail's content file, the PostgreSQL
     * one commits the SENT mark) does so and returns true: the SENT mark with the server's answer may then come later,
     * with others, and {@link #recoverInterrupted} must count such an entry as sent. A process that dies between the
     * server's answer and this call's return sends the mail again: keep it short. This default returns false: the
     * worker writes the SENT mark at once.
     */
    default boolean accepted(long id) {
        return false;
    }

    /**
     * As {@link #accepted(long)}, with the server's answer: a store that makes the acceptance durable as a SENT entry
     * keeps this answer with it, so that whoever reads the entry SENT (another desk's {@code outbox retry --wait}) sees
     * the server's words. By default, {@link #accepted(long)}.
     */
    default boolean accepted(long id, String reply) {
        return accepted(id);
    }

    void markRetry(long id, String reason, Instant next, Instant now);

    void markFailed(long id, String reason, Instant now);

    void markWaitingConsent(long id, String reason, Instant now);

    /** Puts a claimed entry back without counting an attempt (its connection was never used). */
    void release(long id, Instant now);

    /**
     * Entries left SENDING by a process that stopped (a crash; its claim lapsed, see {@link #keepClaimed}) may or may not
     * have reached the server: they go again with the same Message-ID, except those the store knows were
     * {@link #accepted}, which are SENT. Entries a running process is sending are left to it. Called when the worker
     * starts and from time to time while it serves. @return how many go again
     */
    int recoverInterrupted(Instant now);

    /** WAITING_CONSENT entries of a flow and operator go back to the queue (consent was given). */
    int consentGiven(String flowId, String operatorId, Instant now);
}
