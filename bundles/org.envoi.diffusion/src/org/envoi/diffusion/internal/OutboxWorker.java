package org.envoi.diffusion.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.OutboxSenders.Failing;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutboxStore.Claimed;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.RetryLater;

/**
 * Sends what the outbox holds, through the transport each mail's flow names ({@link MailTransport}: SMTP, Graph...),
 * without knowing which. Mails of one flow and operator go through one connection. Transient failures (network, 4xx,
 * throttling) come back later with exponential back-off, or when the server said ({@link RetryLater}); permanent ones
 * (5xx, too big) stop with the reason; a refused login waits for consent. One thread drives a worker ({@link #drain}
 * or {@link #serve}); {@link #wake} may be called from any thread. One worker per outbox.
 */
public final class OutboxWorker {

    private static final Logger LOG = System.getLogger(OutboxWorker.class.getName());

    /**
     * Where and how a flow's operator sends: the flow's transport, the route it is given (flow, operator, mailbox
     * user, logins), and the largest total of attachments per mail (0 for no limit).
     */
    public record Route(MailTransport transport, MailRoute mail, long attachmentLimitBytes) {
        /** The flow's own attachment limit. */
        public Route(MailTransport transport, MailRoute mail) {
            this(transport, mail, mail.flow().attachmentLimitBytes());
        }
    }

    @FunctionalInterface
    public interface Routes {
        /** @throws EnvoiException when the flow cannot be used (NO_FLOW_FOR_OPERATOR, INVALID_FLOW_DATA...) */
        Route route(String flowId, String operatorId);
    }

    /** What one pass did. */
    public record Report(int sent, int retried, int failed, int waitingConsent) {
    }

    private final OutboxStore store;
    private final Routes routes;
    private final Clock clock;
    private final Duration firstBackoff;
    private final Duration maxBackoff;

    private final Duration claimChecks;

    public OutboxWorker(OutboxStore store, Routes routes, Clock clock, Duration firstBackoff, Duration maxBackoff) {
        this(store, routes, clock, firstBackoff, maxBackoff, CLAIM_CHECKS);
    }

    /**
     * @param claimChecks how often the claim of the mails being sent is renewed ({@link OutboxStore#keepClaimed}) and,
     *        serving, how often mails a stopped process left SENDING are taken back; well under the store's lease
     */
    OutboxWorker(OutboxStore store, Routes routes, Clock clock, Duration firstBackoff, Duration maxBackoff,
            Duration claimChecks) {
        this.store = store;
        this.routes = routes;
        this.clock = clock;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.claimChecks = claimChecks;
    }

    /** Every 30 s: a quarter of the H2 and PostgreSQL stores' two-minute lease. */
    static final Duration CLAIM_CHECKS = Duration.ofSeconds(30);

    /** How many mails are claimed at a time: a crash leaves at most this many to send again, memory stays flat. */
    static final int CHUNK = 50;

    /** Sends up to {@code max} due mails, then closes its connections. */
    public Report drain(int max) {
        try {
            return pass(max);
        } finally {
            closeConnections();
        }
    }

    /** Hears a serving worker's health change: a failed pass, then the first good pass after failures. */
    public interface Health {
        Health NONE = new Health() {
            @Override
            public void failing(Failing f) {
            }

            @Override
            public void recovered(Failing after) {
            }
        };

        void failing(Failing f);

        void recovered(Failing after);
    }

    /** The first wait after a failed pass; doubled at each further failure up to {@link #MAX_FAILED_PASS_WAIT}. */
    static final Duration FIRST_FAILED_PASS_WAIT = Duration.ofSeconds(1);
    static final Duration MAX_FAILED_PASS_WAIT = Duration.ofMinutes(1);

    private volatile Failing failing;

    /** Whether the passes of {@link #serve} are failing now, and why. */
    public Optional<Failing> failing() {
        return Optional.ofNullable(failing);
    }

    public Report serve(BooleanSupplier stop, Duration poll, Duration keepIdle) {
        return serve(stop, poll, keepIdle, Health.NONE);
    }

    /**
     * The background sender: sends what is due, then sleeps until {@link #wake()} (a mail was queued, consent came)
     * or {@code poll} has passed (retries fall due). While mail keeps coming the connections stay open; they are
     * closed after {@code keepIdle} without mail, and when {@code stop} says so. A pass that fails is logged and told
     * to {@code health}; the sender waits (1 s, doubling up to a minute) and goes on: it ends only when {@code stop}
     * says so. @return what it did in all
     */
    public Report serve(BooleanSupplier stop, Duration poll, Duration keepIdle, Health health) {
        // paused, a pass ends as it does for a stop: the mail on the wire finishes, the rest goes back
        stopping = () -> stop.getAsBoolean() || paused;
        int[] total = new int[4];
        long idleSince = System.nanoTime();
        long recovered = 0;
        try {
            while (!stop.getAsBoolean()) {
                turns.incrementAndGet();
                if (paused) {
                    takeWakeUp(); // a mail queued meanwhile waits for resume(), which wakes the sender
                    if (paused) {
                        awaitWakeUp(poll);
                    }
                    continue;
                }
                Report r;
                boolean wasWoken;
                try {
                    if (recovered == 0 || System.nanoTime() - recovered > claimChecks.toNanos()) {
                        // at start, then now and then: what a stopped process (this one before a crash, the CLI,
                        // another desk) left SENDING goes again once its claim has lapsed
                        recoverLapsedClaims();
                        recovered = System.nanoTime();
                    }
                    wasWoken = takeWakeUp();
                    r = pass(CHUNK * 20);
                } catch (RuntimeException e) {
                    closeConnections();
                    pauseAfter(failedPass(e, health), stop);
                    continue;
                }
                Failing before = failing;
                if (before != null) {
                    failing = null;
                    LOG.log(Level.INFO, "Envoi's outbox sender works again after " + before.passes()
                            + " failed pass(es) since " + before.since());
                    health.recovered(before);
                }
                total[0] += r.sent();
                total[1] += r.retried();
                total[2] += r.failed();
                total[3] += r.waitingConsent();
                if (r.sent() + r.retried() + r.failed() + r.waitingConsent() > 0 || wasWoken) {
                    idleSince = System.nanoTime();
                    continue;
                }
                if (!open.isEmpty() && System.nanoTime() - idleSince > keepIdle.toNanos()) {
                    closeConnections();
                }
                awaitWakeUp(poll);
            }
        } finally {
            closeConnections();
        }
        return new Report(total[0], total[1], total[2], total[3]);
    }

    private Failing failedPass(RuntimeException e, Health health) {
        Failing before = failing;
        int passes = before == null ? 1 : before.passes() + 1;
        long seconds = Math.min(MAX_FAILED_PASS_WAIT.toSeconds(), FIRST_FAILED_PASS_WAIT.toSeconds()
                << Math.min(passes - 1, 16));
        Instant now = clock.instant();
        String reason = e instanceof EnvoiException ? e.getMessage() : e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage());
        Failing f = new Failing(ProcessHandle.current().pid(), before == null ? now : before.since(), passes, reason,
                now.plusSeconds(seconds));
        failing = f;
        LOG.log(Level.WARNING, "Envoi's outbox sender could not go through the outbox (pass " + passes + " failing"
                + " since " + f.since() + "); it tries again in " + seconds + " s. " + reason, before == null ? e : null);
        try {
            health.failing(f);
        } catch (RuntimeException ignored) {
            // telling about it must not stop the sender
        }
        return f;
    }

    /** Waits until {@code f.nextAttempt()} (by the wall clock's length), or less if stopped; wake-ups do not cut it. */
    private void pauseAfter(Failing f, BooleanSupplier stop) {
        long end = System.nanoTime() + Duration.between(clock.instant(), f.nextAttempt()).toNanos();
        while (!stop.getAsBoolean() && System.nanoTime() < end) {
            awaitWakeUp(Duration.ofNanos(end - System.nanoTime()));
            takeWakeUp();
        }
    }

    private void recoverLapsedClaims() {
        try {
            int again = store.recoverInterrupted(clock.instant());
            if (again > 0) {
                LOG.log(Level.INFO, "Envoi sends again " + again + " mail(s) left SENDING by an Envoi that stopped");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Envoi could not look for mails left SENDING: " + e.getMessage());
        }
    }

    private final Object signal = new Object();
    private boolean woken;

    /** The user's "Pause sending" ({@link org.envoi.api.mail.OutboxSenders#pause}); in memory: a restart sends. */
    private volatile boolean paused;
    /** The pass under way: mails claimed, mails tried (the Outbox's progress bar). */
    private volatile int passClaimed;
    private volatile int passTried;
    private final java.util.concurrent.atomic.AtomicLong turns = new java.util.concurrent.atomic.AtomicLong();

    /** A serving worker claims nothing new; the mail on the wire finishes, the rest of its chunk goes back. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
        wake();
    }

    public org.envoi.api.mail.OutboxSenders.Activity activity() {
        return new org.envoi.api.mail.OutboxSenders.Activity(paused, passClaimed, passTried);
    }

    /** How many turns the serving loop made: a test knows the sender had its chance. */
    long turns() {
        return turns.get();
    }

    /** Tells a serving worker that there is something to send now. Any thread. */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private boolean takeWakeUp() {
        synchronized (signal) {
            boolean w = woken;
            woken = false;
            return w;
        }
    }

    private void awaitWakeUp(Duration poll) {
        synchronized (signal) {
            long end = System.nanoTime() + poll.toNanos();
            try {
                while (!woken) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(signal, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Connections kept from one chunk (and, serving, one pass) to the next, per flow and operator. */
    private final Map<String, MailTransport.Connection> open = new LinkedHashMap<>();

    private void closeConnections() {
        open.values().forEach(MailTransport.Connection::close);
        open.clear();
    }

    private Report pass(int max) {
        int[] counts = new int[4];
        try {
            drainInto(max, counts);
        } finally {
            passClaimed = 0;
            passTried = 0;
            try {
                writeAcceptedMarks();
                awaitMarks();
            } finally {
                stopHolding();
            }
        }
        return new Report(counts[0], counts[1], counts[2], counts[3]);
    }

    /** The mails of the chunk being sent, whose claim the keeper renews. */
    private volatile List<Long> held = List.of();
    /** Renews {@link #held} from its own thread: a send waiting on a slow server does not let the claim lapse. */
    private ScheduledExecutorService keeper;

    private void hold(List<Claimed> chunk) {
        held = chunk.stream().map(c -> c.entry().id()).toList();
        if (keeper == null) { // started by the first chunk of a pass, stopped at its end
            keeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "envoi-outbox-claims");
                t.setDaemon(true);
                return t;
            });
            keeper.scheduleWithFixedDelay(this::renewClaims, claimChecks.toNanos(), claimChecks.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void renewClaims() {
        List<Long> ids = held;
        try {
            store.keepClaimed(ids, clock.instant());
        } catch (RuntimeException e) {
            // the next check tries again; the lease is four checks long
            LOG.log(Level.WARNING, "Envoi could not renew the claim of the mails it is sending: " + e.getMessage());
        }
    }

    private void stopHolding() {
        held = List.of();
        if (keeper != null) {
            keeper.shutdown(); // no interrupt: a renewal under way ends its commit; no further one starts
            keeper = null;
        }
    }

    /**
     * Status writes go to one writer thread, in order, while the next mail is already on the wire: the crash window
     * is the same as writing them inline (a mail left SENDING goes again with its Message-ID), the connection never
     * waits for the database. drain() returns only when every write is committed.
     */
    private ExecutorService marks;
    private final List<Future<?>> pendingMarks = new ArrayList<>();

    private void record(Runnable write) {
        if (marks == null) { // created on the first write: an idle pass (serving, every poll) starts no thread
            marks = Executors.newSingleThreadExecutor(r -> new Thread(r, "envoi-outbox-marks"));
        }
        pendingMarks.add(marks.submit(write));
    }

    /** SENT marks not yet handed to the store; a write takes all that came while the one before was committing. */
    private final List<OutboxStore.Sent> sentToWrite = new ArrayList<>();

    /**
     * For a store whose {@link OutboxStore#accepted} could not make the acceptance durable (the API's default). Group
     * commit: while the writer commits one batch, the next mails' marks gather and go in the next one, so a burst costs
     * a few commits instead of one per mail, and a single mail is written at once (no waiting). The crash window is
     * then "accepted by the server, mark not yet committed": such a mail goes again with its Message-ID. Envoi's own
     * stores make it durable in {@code accepted}, and the mark waits for the chunk's end.
     */
    private void markSent(OutboxStore.Sent sent) {
        boolean first;
        synchronized (sentToWrite) {
            first = sentToWrite.isEmpty();
            sentToWrite.add(sent);
        }
        if (first) {
            record(() -> {
                List<OutboxStore.Sent> batch;
                synchronized (sentToWrite) {
                    batch = new ArrayList<>(sentToWrite);
                    sentToWrite.clear();
                }
                store.markSent(batch);
            });
        }
    }

    /** Sent mails the store already knows were accepted ({@link OutboxStore#accepted}): marked SENT per chunk. */
    private final List<OutboxStore.Sent> accepted = new ArrayList<>();

    private void writeAcceptedMarks() {
        if (!accepted.isEmpty()) {
            List<OutboxStore.Sent> batch = List.copyOf(accepted);
            accepted.clear();
            record(() -> store.markSent(batch));
        }
    }

    private void awaitMarks() {
        if (marks == null) {
            return;
        }
        marks.shutdown();
        marks = null;
        RuntimeException first = null;
        for (Future<?> f : pendingMarks) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = first == null ? new IllegalStateException("interrupted while saving outbox states", e) : first;
            } catch (ExecutionException e) {
                RuntimeException r = e.getCause() instanceof RuntimeException re ? re
                        : new IllegalStateException(e.getCause());
                first = first == null ? r : first;
            }
        }
        pendingMarks.clear();
        if (first != null) {
            throw first;
        }
    }

    /**
     * Whether the sender is asked to stop ({@link #serve}'s stop): a pass then claims nothing more, and the mails of its
     * chunk not yet handed to a server go back to the queue at once (their claim released, no attempt counted); the
     * one on the wire finishes.
     */
    private volatile BooleanSupplier stopping = () -> false;

    /** Claims chunk after chunk; a group's connection stays open from one chunk to the next. */
    private int drainInto(int max, int[] counts) {
        int done = 0;
        while (done < max && !stopping.getAsBoolean()) {
            List<Claimed> claimed = store.claimDue(clock.instant(), Math.min(CHUNK, max - done));
            if (claimed.isEmpty()) {
                break;
            }
            done += claimed.size();
            passClaimed += claimed.size(); // only this thread writes it
            hold(claimed);
            Map<String, List<Claimed>> groups = new LinkedHashMap<>();
            for (Claimed c : claimed) {
                groups.computeIfAbsent(c.entry().flowId() + "\u0000" + c.entry().operatorId(),
                        k -> new ArrayList<>()).add(c);
            }
            groups.forEach((key, group) -> sendGroup(key, group, counts));
            writeAcceptedMarks();
        }
        return done;
    }

    /** Claimed mails that were not tried go back to the queue as they were: claim released, no attempt counted. */
    private void putBack(List<Claimed> untried) {
        passClaimed -= untried.size();
        for (Claimed c : untried) {
            Instant at = clock.instant();
            record(() -> store.release(c.entry().id(), at));
        }
    }

    private void sendGroup(String key, List<Claimed> group, int[] counts) {
        if (stopping.getAsBoolean()) {
            putBack(group);
            return;
        }
        Claimed first = group.get(0);
        Route route;
        try {
            route = routes.route(first.entry().flowId(), first.entry().operatorId());
        } catch (EnvoiException e) {
            group.forEach(c -> fail(c, e.toString(), counts));
            return;
        }
        List<Claimed> sendable = new ArrayList<>();
        for (Claimed c : group) {
            long size = c.mail().attachmentBytes();
            if (route.attachmentLimitBytes() > 0 && size > route.attachmentLimitBytes()) {
                fail(c, ErrorCode.ATTACHMENTS_TOO_BIG + ": the attachments weigh " + size + " bytes; the flow allows "
                        + route.attachmentLimitBytes() + " bytes", counts);
            } else {
                sendable.add(c);
            }
        }
        if (sendable.isEmpty()) {
            return;
        }
        MailTransport.Connection sender = open.get(key);
        if (sender != null && !sender.isConnected()) {
            open.remove(key).close();
            sender = null;
        }
        try {
            if (sender == null) {
                sender = route.transport().connect(route.mail());
                open.put(key, sender);
            }
        } catch (EnvoiException e) {
            for (Claimed c : sendable) {
                switch (e.code()) {
                    case CONSENT_REQUIRED, MAIL_AUTH_FAILED -> waitForConsent(c, e.getMessage(), counts);
                    case MAIL_UNAVAILABLE, OAUTH_UNAVAILABLE -> retry(c, e, counts);
                    default -> fail(c, e.toString(), counts);
                }
            }
            return;
        }
        for (int i = 0; i < sendable.size(); i++) {
            Claimed c = sendable.get(i);
            if (stopping.getAsBoolean()) {
                putBack(sendable.subList(i, sendable.size()));
                return;
            }
            try {
                String reply = sender.send(c.mail()).reply();
                // nothing between the server's answer and this: a process that dies before it returns sends the
                // mail again (README); once it returned, no restart does
                boolean durable = store.accepted(c.entry().id(), reply);
                OutboxStore.Sent sent = new OutboxStore.Sent(c.entry().id(), reply, clock.instant());
                if (durable) {
                    accepted.add(sent); // its SENT mark with the server's answer goes with the chunk's
                } else {
                    markSent(sent);
                }
                counts[0]++;
                passTried++;
            } catch (EnvoiException e) {
                if (e.code() == ErrorCode.MAIL_REJECTED) {
                    fail(c, e.getMessage(), counts);
                } else if (e.code() == ErrorCode.CONSENT_REQUIRED || e.code() == ErrorCode.MAIL_AUTH_FAILED) {
                    // a transport that logs in per request (Graph) hears of a refused token here, after its renewal
                    waitForConsent(c, e.getMessage(), counts);
                } else {
                    retry(c, e, counts);
                    if (!sender.isConnected()) {
                        // the connection is gone: the others were not tried, they go back untouched
                        putBack(sendable.subList(i + 1, sendable.size()));
                        return;
                    }
                }
            }
        }
    }

    /** Due again after the back-off, or exactly when the server said to come back ({@link RetryLater}). */
    private void retry(Claimed c, EnvoiException e, int[] counts) {
        String reason = e.getMessage();
        int attempts = c.entry().attempts();
        Duration wait = firstBackoff.multipliedBy(1L << Math.min(attempts, 20));
        if (wait.compareTo(maxBackoff) > 0) {
            wait = maxBackoff;
        }
        if (e instanceof RetryLater later) {
            wait = later.after(); // the server's own time: earlier would be refused again, later wastes its window
        }
        Instant now = clock.instant();
        Instant next = now.plus(wait);
        record(() -> store.markRetry(c.entry().id(), reason, next, now));
        counts[1]++;
        passTried++;
        LOG.log(Level.INFO, "Envoi will retry mail " + c.entry().messageId() + " at " + now.plus(wait) + ": " + reason);
    }

    private void fail(Claimed c, String reason, int[] counts) {
        Instant at = clock.instant();
        record(() -> store.markFailed(c.entry().id(), reason, at));
        counts[2]++;
        passTried++;
        LOG.log(Level.WARNING, "Envoi could not send mail " + c.entry().messageId() + ": " + reason);
    }

    private void waitForConsent(Claimed c, String reason, int[] counts) {
        Instant at = clock.instant();
        record(() -> store.markWaitingConsent(c.entry().id(), reason, at));
        counts[3]++;
        passTried++;
    }
}
