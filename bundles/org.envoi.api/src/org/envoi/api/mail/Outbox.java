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

    /** The newest entries first. */
    List<OutboxEntry> list(int max);

    /** How many entries are in this state (the Outbox view's counters). */
    int count(OutboxEntry.State state);

    /** Puts a FAILED or WAITING_CONSENT entry back in the queue (the Outbox view's "retry"). */
    void retry(long id);
}
