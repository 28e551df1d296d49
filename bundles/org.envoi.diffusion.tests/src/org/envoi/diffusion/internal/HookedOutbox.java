package org.envoi.diffusion.internal;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutgoingMail;

/** A real store with a hook after {@link #accepted}: where the kill tests stop a worker and the window is timed. */
public final class HookedOutbox implements OutboxStore {

    /** Runs on the worker's thread the moment the store's {@link OutboxStore#accepted} returned. */
    @FunctionalInterface
    public interface Hook {
        /** @param n 1 for the first acceptance through this store */
        void accepted(int n, long id, boolean durable) throws Exception;
    }

    private final OutboxStore store;
    private final Hook hook;
    private int accepted;

    public HookedOutbox(OutboxStore store, Hook hook) {
        this.store = store;
        this.hook = hook;
    }

    @Override
    public boolean accepted(long id) {
        boolean durable = store.accepted(id);
        try {
            hook.accepted(++accepted, id, durable);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return durable;
    }

    @Override
    public long enqueue(String flowId, String operatorId, OutgoingMail mail) {
        return store.enqueue(flowId, operatorId, mail);
    }

    @Override
    public Optional<OutboxEntry> entry(long id) {
        return store.entry(id);
    }

    @Override
    public Optional<OutboxEntry> entryOf(String messageId) {
        return store.entryOf(messageId);
    }

    @Override
    public List<OutboxEntry> list(int max) {
        return store.list(max);
    }

    @Override
    public int count(OutboxEntry.State state) {
        return store.count(state);
    }

    @Override
    public void retry(long id) {
        store.retry(id);
    }

    @Override
    public List<Claimed> claimDue(Instant now, int max) {
        return store.claimDue(now, max);
    }

    @Override
    public void keepClaimed(List<Long> ids, Instant now) {
        store.keepClaimed(ids, now);
    }

    @Override
    public void markSent(long id, String reply, Instant now) {
        store.markSent(id, reply, now);
    }

    @Override
    public void markSent(List<Sent> sent) {
        store.markSent(sent);
    }

    @Override
    public void markRetry(long id, String reason, Instant next, Instant now) {
        store.markRetry(id, reason, next, now);
    }

    @Override
    public void markFailed(long id, String reason, Instant now) {
        store.markFailed(id, reason, now);
    }

    @Override
    public void markWaitingConsent(long id, String reason, Instant now) {
        store.markWaitingConsent(id, reason, now);
    }

    @Override
    public void release(long id, Instant now) {
        store.release(id, now);
    }

    @Override
    public int recoverInterrupted(Instant now) {
        return store.recoverInterrupted(now);
    }

    @Override
    public int consentGiven(String flowId, String operatorId, Instant now) {
        return store.consentGiven(flowId, operatorId, now);
    }
}
