package org.envoi.api.oauth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Tokens from one grant. {@link #toString()} never shows a token.
 *
 * @param accessToken the bearer token for SMTP/IMAP/POP
 * @param refreshToken the refresh token, empty for client credentials or when the provider gave none
 * @param expiresAt when the access token stops working
 * @param scopes the scopes granted (may be fewer than asked)
 */
public record TokenSet(String accessToken, Optional<String> refreshToken, Instant expiresAt, List<String> scopes) {

    public TokenSet {
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(refreshToken, "refreshToken");
        Objects.requireNonNull(expiresAt, "expiresAt");
        scopes = List.copyOf(scopes);
    }

    /** True when the access token still works at {@code now + skew}. */
    public boolean validAt(Instant now, java.time.Duration skew) {
        return now.plus(skew).isBefore(expiresAt);
    }

    @Override
    public String toString() {
        return "TokenSet[access token (" + accessToken.length() + " chars), refresh token "
                + (refreshToken.isPresent() ? "present" : "absent") + ", expires " + expiresAt + ", scopes " + scopes
                + "]";
    }
}
