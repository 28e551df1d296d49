package org.envoi.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A caller's "stop" for work that waits on the network ("Test the service", a sign-in): set once from any thread (a
 * Cancel button, a job's {@code canceling()}), heard by the work between its steps ({@link #isCancelled}) and, for the
 * step on the wire, by the connections opened {@link #during} it: they register their closing
 * ({@link #current()}, {@link #whenCancelled}), so {@link #cancel} closes the socket the step waits on instead of only
 * dropping its result. The work's own threads carry it as gRPC's {@code Context} carries a deadline: the transports
 * need no parameter for it.
 */
public final class Cancellation {

    private static final ThreadLocal<Cancellation> CURRENT = new ThreadLocal<>();

    private final List<Runnable> closers = new ArrayList<>();
    private boolean cancelled;

    /** Removes a closer once its connection is closed anyway. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Stops the work: every registered closer runs now, once; later ones run as they register. Any thread. */
    public void cancel() {
        List<Runnable> now;
        synchronized (closers) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            now = new ArrayList<>(closers);
            closers.clear();
        }
        for (Runnable r : now) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // one closer failing must not keep the others' connections open
            }
        }
    }

    public boolean isCancelled() {
        synchronized (closers) {
            return cancelled;
        }
    }

    /** Runs {@code closer} at {@link #cancel} (at once if it already came). */
    public Registration whenCancelled(Runnable closer) {
        synchronized (closers) {
            if (!cancelled) {
                closers.add(closer);
                return () -> {
                    synchronized (closers) {
                        closers.remove(closer);
                    }
                };
            }
        }
        closer.run();
        return () -> {
        };
    }

    /** Runs {@code work} on this thread with this cancellation as {@link #current()}. */
    public <T> T during(Supplier<T> work) {
        Cancellation before = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.get();
        } finally {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        }
    }

    /** The cancellation of the work this thread runs ({@link #during}), if any: where a connection registers. */
    public static Optional<Cancellation> current() {
        return Optional.ofNullable(CURRENT.get());
    }
}
