package org.envoi.sandbox;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * What the sandbox's OAuth2 server says about itself in its discovery document: Envoi is configured with these
 * addresses exactly as the server publishes them, so that the {@code iss} of its tokens and the issuer Envoi knows
 * are the same string.
 *
 * @param issuer the issuer identifier, e.g. {@code http://127.0.0.1:P/sandbox}
 * @param authorizationEndpoint where the browser (or the demo, playing the browser) goes to sign in
 * @param tokenEndpoint where codes and refresh tokens are exchanged
 * @param jwksUri where the public signing keys are published
 */
record OAuthEndpoints(URI issuer, URI authorizationEndpoint, URI tokenEndpoint, URI jwksUri) {

    OAuthEndpoints {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(authorizationEndpoint, "authorization_endpoint");
        Objects.requireNonNull(tokenEndpoint, "token_endpoint");
        Objects.requireNonNull(jwksUri, "jwks_uri");
    }

    /**
     * Reads the endpoints from a parsed OpenID Connect / RFC 8414 discovery document.
     *
     * @throws IllegalStateException when a member is missing or not a URI
     */
    static OAuthEndpoints fromDiscovery(Map<String, Object> document) {
        return new OAuthEndpoints(member(document, "issuer"), member(document, "authorization_endpoint"),
                member(document, "token_endpoint"), member(document, "jwks_uri"));
    }

    private static URI member(Map<String, Object> document, String name) {
        Object value = document.get(name);
        if (!(value instanceof String text) || text.isBlank()) {
            throw new IllegalStateException("the OAuth2 server's discovery document has no " + name);
        }
        try {
            return URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the OAuth2 server's " + name + " is not a URI: " + text, e);
        }
    }
}
