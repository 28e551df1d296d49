package org.envoi.api.provider;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a provider keeps an operator's sign-in (its refresh token) alive. Envoi refreshes a sign-in whose limit is
 * renewed by use well before it lapses, and tells who must act, a week ahead, when one is about to lapse anyway.
 *
 * @param limit how long the refresh token lives
 * @param renewedByUse true when the limit counts from the last refresh (an inactivity limit: each refresh starts it
 *        again, as Microsoft's 90 days and Google's 6 months); false when it counts from the sign-in whatever is done
 *        (Google's 7 days for an app left in "Testing"): only a new sign-in, or a change at the provider, helps
 * @param source where the figure comes from (the provider's documentation), for an administrator who wonders
 * @param advice what the administrator can do about the limit, one sentence ("publish the app..."); may be empty
 */
public record SignInLifetime(Duration limit, boolean renewedByUse, String source, String advice) {

    public SignInLifetime {
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("limit must be positive");
        }
        source = source == null ? "" : source;
        advice = advice == null ? "" : advice;
    }

    /** An inactivity limit: each refresh starts it again. */
    public static SignInLifetime inactivity(Duration limit, String source) {
        return new SignInLifetime(limit, true, source, "");
    }

    /** A limit that counts from the sign-in; refreshing does not extend it. */
    public static SignInLifetime sinceSignIn(Duration limit, String source, String advice) {
        return new SignInLifetime(limit, false, source, advice);
    }
}
