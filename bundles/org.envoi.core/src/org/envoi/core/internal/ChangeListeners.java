package org.envoi.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The listeners of a registry: added and removed from any thread, each told of a change even if another failed. */
final class ChangeListeners {

    private static final Logger LOG = System.getLogger(ChangeListeners.class.getName());

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final String registry;

    /** @param registry what the log line names when a listener fails */
    ChangeListeners(String registry) {
        this.registry = registry;
    }

    /** @return closing it removes the listener */
    AutoCloseable add(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void fire() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A " + registry + " listener failed", e);
            }
        }
    }
}
