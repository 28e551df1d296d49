package org.envoi.api.mail;

import java.util.List;
import java.util.Optional;

/**
 * The durable outbox: every mail is written here first, then sent. Implementations persist in the store's database
 * and are thread-safe.
 */
public interface Outbox {

    /** Writes the mail durably; it is sent by the outbox worker. @return the entry's id */
    long enqueue(String flowId, String operatorId, OutgoingMail mail);

    Optional<OutboxEntry> entry(long id);

    /**
     * The entry of the mail with this Message-ID (without angle brackets), if one was queued: a client that submits
     * again a mail whose acceptance it did not hear (the connection dropped after the 250) is told it is already
     * there, and it goes once.
     */
    Optional<OutboxEntry> entryOf(String messageId);

    /** The newest entries first. */
    List<OutboxEntry> list(int max);

    /** How many entries are in this state (the Outbox view's counters). */
    int count(OutboxEntry.State state);

    /**
     * Puts an entry that waits back in the queue, due now: FAILED, WAITING_CONSENT, or RETRY (its back-off ignored).
     * This is the Outbox view's "retry" and {@code envoi outbox retry}'s. An entry being sent (SENDING: a running Envoi
     * holds it; one left by an Envoi that stopped goes again by itself once its claim lapses), a QUEUED and a SENT
     * one are left as they are. It goes with a sender's next pass: {@link OutboxSenders#wake} asks for one now.
     */
    void retry(long id);
}
