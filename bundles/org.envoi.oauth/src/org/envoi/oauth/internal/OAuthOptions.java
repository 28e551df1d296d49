package org.envoi.oauth.internal;

import java.time.Duration;

/**
 * How the engine behaves; immutable.
 *
 * @param refreshSkew refresh an access token this long before it expires, so that a mail never leaves with a token
 *        that dies on the way
 * @param httpTimeout connect and read time-out of token requests
 * @param attempts how many times a request that failed for a transient reason (network, 5xx, 429) is sent
 * @param firstBackoff wait after the first transient failure; doubled each time
 * @param maxBackoff the longest wait between attempts
 */
public record OAuthOptions(Duration refreshSkew, Duration httpTimeout, int attempts, Duration firstBackoff,
        Duration maxBackoff) {

    public static final OAuthOptions DEFAULTS = new OAuthOptions(Duration.ofMinutes(5), Duration.ofSeconds(30), 4,
            Duration.ofMillis(500), Duration.ofSeconds(8));

    public OAuthOptions {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
    }
}
