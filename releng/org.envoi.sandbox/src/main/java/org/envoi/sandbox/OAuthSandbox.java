package org.envoi.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;

import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;

/**
 * The sandbox's OAuth2 server: mock-oauth2-server, in this process, on 127.0.0.1, with the one issuer
 * {@value #ISSUER_ID}.
 * <p>
 * It is set up so that a newcomer needs no account and sees no form: the authorization endpoint answers at once with
 * a redirect carrying a code (no interactive login), and every token of the issuer is for the one sandbox user. The
 * authorization code grant with PKCE and the refresh token grant are mock-oauth2-server's own.
 * <p>
 * Its signing key is generated at every start instead of taken from the key file bundled in the mock-oauth2-server
 * jar: that file is public, so tokens signed with it could be forged by anyone, which would make the mail servers'
 * token check meaningless.
 */
final class OAuthSandbox implements AutoCloseable {

    /** The issuer id: the first path segment of every endpoint. */
    static final String ISSUER_ID = "sandbox";
    /** Lifetime of the access (and ID) tokens, in seconds. */
    static final long TOKEN_LIFETIME_SECONDS = 3600;

    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);

    private final OAuth2TokenProvider tokenProvider;
    private final MockOAuth2Server server;
    private volatile boolean started;

    /**
     * @param user the subject of every token (and its {@code email} claim)
     * @param audience the {@code aud} of every access token
     */
    OAuthSandbox(String user, String audience) {
        // no initial keys: a fresh RSA key for the issuer, not the public one bundled in the jar
        tokenProvider = new OAuth2TokenProvider(new KeyProvider(List.of(), JWSAlgorithm.RS256.getName()),
                (Instant) null);
        OAuth2TokenCallback sandboxUser = new DefaultOAuth2TokenCallback(ISSUER_ID, user,
                JOSEObjectType.JWT.getType(), List.of(audience),
                Map.of("email", user, "email_verified", true, "preferred_username", user, "name", "Envoi demo user"),
                TOKEN_LIFETIME_SECONDS);
        OAuth2Config config = new OAuth2Config(false, null, null, false, tokenProvider, Set.of(sandboxUser),
                new MockWebServerWrapper());
        server = new MockOAuth2Server(config);
    }

    /**
     * Starts the server and reads back its discovery document, which proves it answers.
     *
     * @param port the port, 0 for a free one
     * @return the endpoints as the server publishes them
     */
    OAuthEndpoints start(int port) throws IOException, InterruptedException {
        server.start(InetAddress.getByAddress(new byte[] { 127, 0, 0, 1 }), port);
        started = true;
        int actualPort = server.baseUrl().port();
        URI discovery = URI.create("http://127.0.0.1:" + actualPort + "/" + ISSUER_ID
                + "/.well-known/openid-configuration");
        OAuthEndpoints endpoints = OAuthEndpoints.fromDiscovery(fetchJson(discovery));
        URI expected = URI.create("http://127.0.0.1:" + actualPort + "/" + ISSUER_ID);
        if (!expected.equals(endpoints.issuer())) {
            throw new IllegalStateException("the OAuth2 server calls itself " + endpoints.issuer() + ", not "
                    + expected);
        }
        return endpoints;
    }

    /** The public signing keys of the sandbox issuer, the same the server publishes at its {@code jwks_uri}. */
    JWKSet publicKeys() {
        return tokenProvider.publicJwkSet(ISSUER_ID);
    }

    @Override
    public void close() {
        if (started) {
            started = false;
            server.shutdown();
        }
    }

    private static Map<String, Object> fetchJson(URI uri) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).proxy(HttpClient.Builder.NO_PROXY)
                .build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(HTTP_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered HTTP " + response.statusCode());
        }
        try {
            return JSONObjectUtils.parse(response.body());
        } catch (ParseException e) {
            throw new IOException("GET " + uri + " did not answer a JSON object", e);
        }
    }
}
