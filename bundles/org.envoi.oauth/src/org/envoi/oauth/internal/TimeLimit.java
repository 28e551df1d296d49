package org.envoi.oauth.internal;

import java.time.Duration;

/** A time limit as an operator reads it in an error: "15 min", "90 s", "2.5 s". */
final class TimeLimit {

    private TimeLimit() {
    }

    static String describe(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms >= 60_000 && ms % 60_000 == 0) {
            return ms / 60_000 + " min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        // one decimal is enough for a person; never round a non-zero limit down to "0 s"
        return String.format(java.util.Locale.ROOT, "%.1f s", Math.max(ms, 100) / 1000.0);
    }
}
