package org.envoi.api.oauth;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the Flow health view shows for one operator of one flow.
 *
 * @param state where the credential stands
 * @param reason for {@link State#CONSENT_REQUIRED}, the provider's reason in plain words; otherwise empty
 * @param accessTokenExpiresAt when the current access token expires, if there is one
 * @param lastRefresh when a token was last obtained (by sign-in or refresh): an inactivity limit counts from it
 * @param signedIn when the operator last signed in (consent); for a sign-in stored before Envoi kept it, its last
 *        refresh (the best known bound): a limit that refreshing does not extend counts from it
 */
public record CredentialStatus(State state, Optional<String> reason, Optional<Instant> accessTokenExpiresAt,
        Optional<Instant> lastRefresh, Optional<Instant> signedIn) {

    /** A status without its sign-in time (the same as the last refresh). */
    public CredentialStatus(State state, Optional<String> reason, Optional<Instant> accessTokenExpiresAt,
            Optional<Instant> lastRefresh) {
        this(state, reason, accessTokenExpiresAt, lastRefresh, lastRefresh);
    }

    public enum State {
        /** No consent was ever given. */
        NONE,
        /** A refresh token is held: tokens come silently. */
        VALID,
        /** The refresh token is dead (revoked, expired): the operator must consent again. */
        CONSENT_REQUIRED
    }

    public CredentialStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(accessTokenExpiresAt, "accessTokenExpiresAt");
        Objects.requireNonNull(lastRefresh, "lastRefresh");
        Objects.requireNonNull(signedIn, "signedIn");
    }
}
