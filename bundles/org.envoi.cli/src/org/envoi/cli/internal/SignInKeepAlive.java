package org.envoi.cli.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.envoi.api.oauth.SignInKeeper;

/**
 * For {@code envoi serve}: calls {@link SignInKeeper#keepAlive} at once and then every {@link #EVERY} on one daemon
 * thread, until closed. The keeper logs what it refreshed and what failed; a pass that throws (the database or the
 * vault unreadable for a moment) is logged and the next one comes as planned.
 */
final class SignInKeepAlive implements AutoCloseable {

    /** Limits are months long (Google's shortest, in "Testing", 7 days): every few minutes is plenty. */
    static final Duration EVERY = Duration.ofMinutes(5);

    private static final Logger LOG = System.getLogger(SignInKeepAlive.class.getName());

    private final ScheduledExecutorService timer;

    private SignInKeepAlive(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static SignInKeepAlive start(SignInKeeper keeper, Duration every) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "envoi-sign-in-keeper");
            t.setDaemon(true);
            return t;
        });
        // with a fixed delay, a slow pass (a provider retried with back-off) never overlaps the next
        timer.scheduleWithFixedDelay(() -> {
            try {
                keeper.keepAlive(Instant.now());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Envoi could not look at the sign-ins to keep them alive (" + e + "); trying"
                        + " again in " + every.toMinutes() + " min");
            }
        }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return new SignInKeepAlive(timer);
    }

    /** Whether the thread has ended (after {@link #close()}). */
    boolean stopped() {
        return timer.isTerminated();
    }

    /**
     * Stops the timer. A pass under way finishes first (up to 30 s): interrupted between the token response and the
     * vault's write, a rotated refresh token could be lost; after that it is interrupted.
     */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
                timer.shutdownNow();
                LOG.log(Level.WARNING, "Envoi's sign-in keeper was stopped in the middle of a pass after 30 s");
                timer.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
