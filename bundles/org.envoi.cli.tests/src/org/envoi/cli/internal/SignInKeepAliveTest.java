package org.envoi.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.envoi.api.oauth.SignInKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timer {@code envoi serve} keeps sign-ins alive with: it calls the keeper at once and then every period, goes on
 * after a pass that failed, and stops on close.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SignInKeepAliveTest {

    /** A keeper that counts its passes; its first pass fails as a damaged vault would make it. */
    static final class CountingKeeper implements SignInKeeper {
        final AtomicInteger passes = new AtomicInteger();
        final CountDownLatch three = new CountDownLatch(3);

        @Override
        public Report keepAlive(Instant now) {
            int n = passes.incrementAndGet();
            three.countDown();
            if (n == 1) {
                throw new IllegalStateException("the first pass fails");
            }
            return new Report(List.of());
        }

        @Override
        public List<Lapse> lapses(Instant now) {
            return List.of();
        }
    }

    @Test
    void passesGoOnAfterAFailureAndStopOnClose() throws Exception {
        CountingKeeper keeper = new CountingKeeper();
        SignInKeepAlive timer = SignInKeepAlive.start(keeper, Duration.ofMillis(20));
        assertTrue(keeper.three.await(20, TimeUnit.SECONDS), "three passes, the first one failed");
        timer.close();
        assertTrue(timer.stopped(), "its thread has ended");
        int after = keeper.passes.get();
        // the thread has ended, so nothing can run any more: no waiting needed to see it
        assertEquals(after, keeper.passes.get());
    }
}
