package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real OAuth2 server for the tests: navikt's mock-oauth2-server (Maven Central), run as its own process on
 * 127.0.0.1. It does authorization code with PKCE, refresh (here with rotation), revocation, client credentials and
 * an interactive login page; it does not do device code.
 */
public final class MockOAuth2Server implements AutoCloseable {

    /** Interactive login, a new refresh token on every refresh (the old one dies, as with Microsoft). */
    public static final String ROTATING = "{\"interactiveLogin\": true, \"rotateRefreshToken\": true,"
            + " \"httpServer\": \"NettyWrapper\"}";

    /**
     * Issuer {@code mail} for the mail servers' tests: client-credentials tokens whose {@code sub} is the client id
     * (alice, bob, eve, frank), padded to about 4 KB like real Microsoft tokens; poll1000 and poll10000 (small) for the poll
     * benchmark; {@code alice-expired} gets an expired one. Every token is issued for the audience
     * {@code mail} with the scopes asked for (the servers want {@code mail}), except one asked for
     * {@link #OTHER_RESOURCE_SCOPE}: the audience of that other resource, with the scope {@code mail} as Microsoft's
     * Graph tokens carry the IMAP.AccessAsUser.All of Outlook's. Sign-ins (authorization code, refresh) get the
     * audience and the scope {@code mail}.
     */
    public static final String MAIL_USERS = mailUsers();

    /**
     * Microsoft Graph's audience: a client-credentials token asked for scopes of it ({@code
     * https://graph.microsoft.com/Mail.Send …}) carries that audience and those scopes in {@code scp}; client id {@code
     * graph-expired} gets an expired one (subject alice).
     */
    public static final String GRAPH_AUDIENCE = "https://graph.microsoft.com";

    /** The client id whose sign-ins (authorization code, refresh) are Graph tokens: aud Graph, scp mail and files. */
    public static final String GRAPH_CLIENT = "envoi-graph";

    /** A scope of another resource (as Microsoft Graph's is to Outlook's): its token is for {@link #OTHER_AUDIENCE}. */
    public static final String OTHER_RESOURCE_SCOPE = "https://graph.envoi.test/mail";
    public static final String OTHER_AUDIENCE = "https://graph.envoi.test";

    private static String mailUsers() {
        String pad = "p".repeat(2600);
        // the scope granted is the scope asked for (a template of mock-oauth2-server's request mappings)
        String scope = ",\"scope\":\"${scope}\"";
        StringBuilder maps = new StringBuilder();
        // Microsoft Graph's tokens (GraphServer): a scope of the Graph resource gives its audience and the scopes in scp
        maps.append("{\"requestParam\":\"client_id\",\"match\":\"graph-expired\",\"claims\":{\"sub\":\"alice\","
                + "\"aud\":[\"").append(GRAPH_AUDIENCE).append("\"],\"scp\":\"${scope}\",\"exp\":1600000000}},");
        maps.append("{\"requestParam\":\"scope\",\"match\":\".*").append(GRAPH_AUDIENCE.replace(".", "\\\\."))
                .append("/.*\",\"claims\":{\"sub\":\"${client_id}\",\"aud\":[\"").append(GRAPH_AUDIENCE)
                .append("\"],\"scp\":\"${scope}\"}},");
        maps.append("{\"requestParam\":\"scope\",\"match\":\".*").append(OTHER_RESOURCE_SCOPE)
                .append(".*\",\"claims\":{\"sub\":\"${client_id}\",\"aud\":[\"").append(OTHER_AUDIENCE)
                .append("\"],\"scope\":\"mail\",\"pad\":\"").append(pad).append("\"}},");
        for (String u : new String[] { "alice", "bob", "eve", "frank" }) {
            maps.append("{\"requestParam\":\"client_id\",\"match\":\"").append(u).append("\",\"claims\":{\"sub\":\"")
                    .append(u).append("\",\"aud\":[\"mail\"]").append(scope).append(",\"pad\":\"").append(pad)
                    .append("\"}},");
        }
        for (String u : new String[] { "poll1000", "poll10000" }) {
            maps.append("{\"requestParam\":\"client_id\",\"match\":\"").append(u)
                    .append("\",\"claims\":{\"sub\":\"").append(u).append("\",\"aud\":[\"mail\"]").append(scope)
                    .append("}},");
        }
        maps.append("{\"requestParam\":\"client_id\",\"match\":\"alice-expired\",\"claims\":{\"sub\":\"alice\","
                + "\"aud\":[\"mail\"]").append(scope).append(",\"exp\":1600000000}},");
        // a sign-in of client GRAPH_CLIENT is for Microsoft Graph (the code exchange carries no scope to match on):
        // Graph's audience and the delegated scopes of Graph mail and files, the user who logged in as the subject
        maps.append("{\"requestParam\":\"client_id\",\"match\":\"").append(GRAPH_CLIENT).append("\",\"claims\":{"
                + "\"aud\":[\"").append(GRAPH_AUDIENCE).append("\"],\"scp\":\"Mail.Send Mail.ReadWrite Mail.Read"
                        + " Files.ReadWrite\"}},");
        // sign-ins: the user who logged in is the subject. A code exchange carries no scope (it was asked at the
        // authorization endpoint, which mock-oauth2-server's templates do not see: ${scope} stayed as it is and
        // Dovecot refused every signed-in operator), so a sign-in is granted the mail scope; the tests of a missing
        // scope use client-credentials tokens
        maps.append("{\"requestParam\":\"grant_type\",\"match\":\"authorization_code|refresh_token\",\"claims\":{"
                + "\"aud\":[\"mail\"],\"scope\":\"" + MailServers.MAIL_SCOPE + "\"}}");
        return "{\"interactiveLogin\": true, \"httpServer\": \"NettyWrapper\", \"tokenCallbacks\": [{\"issuerId\":"
                + " \"mail\", \"tokenExpiry\": 3600, \"requestMappings\": [" + maps + "]}]}";
    }

    /** The server's process (a JVM of its own). */
    public ProcessHandle process() {
        return process.toHandle();
    }

    /** A client-credentials access token of {@code issuer} for {@code clientId} (with {@link #MAIL_USERS}: a user). */
    public String clientCredentialsToken(String issuer, String clientId) {
        return clientCredentialsToken(issuer, clientId, "mail");
    }

    /** The same, asking for {@code scope} (space-separated scopes) instead of {@code mail}. */
    public String clientCredentialsToken(String issuer, String clientId, String scope) {
        try {
            java.net.http.HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    tokenEndpoint(issuer)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + clientId
                            + "&client_secret=x&scope=" + java.net.URLEncoder.encode(scope,
                                    java.nio.charset.StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(r.body());
            if (r.statusCode() != 200 || !m.find()) {
                throw new IllegalStateException("no token for " + clientId + " (HTTP " + r.statusCode() + ")");
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private final String config;
    private final int port;
    private Process process;

    private MockOAuth2Server(String config, int port) {
        this.config = config;
        this.port = port;
    }

    public static MockOAuth2Server start(String config) {
        MockOAuth2Server s = new MockOAuth2Server(config, TestServers.freePort());
        s.startProcess();
        return s;
    }

    private void startProcess() {
        Path lib = TestServers.folder("mock-oauth2-server/lib");
        ProcessBuilder pb = new ProcessBuilder(TestServers.java(), "-Xmx256m", "-cp", lib + "/*",
                "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SERVER_HOSTNAME", "127.0.0.1");
        pb.environment().put("SERVER_PORT", Integer.toString(port));
        pb.environment().put("JSON_CONFIG", config);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mock-oauth2-server exited with " + process.exitValue());
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(wellKnown()).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("mock-oauth2-server did not answer on 127.0.0.1:" + port + " within 60 s");
    }

    private URI wellKnown() {
        return URI.create(base() + "/default/.well-known/openid-configuration");
    }

    public String base() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public URI authorizationEndpoint(String issuer) {
        return URI.create(base() + "/" + issuer + "/authorize");
    }

    public URI tokenEndpoint(String issuer) {
        return URI.create(base() + "/" + issuer + "/token");
    }

    public URI revocationEndpoint(String issuer) {
        return URI.create(base() + "/" + issuer + "/revoke");
    }

    public URI introspectionEndpoint(String issuer) {
        return URI.create(base() + "/" + issuer + "/introspect");
    }

    /** Stops the server (the port stops answering); {@link #restart()} brings it back on the same port. */
    public void stop() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** A new process: it has forgotten every refresh token and signing key, as a real server after a reset. */
    public void restart() {
        stop();
        startProcess();
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
