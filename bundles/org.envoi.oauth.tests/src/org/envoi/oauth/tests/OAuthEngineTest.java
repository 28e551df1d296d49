package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.ClientBinding;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.oauth.internal.PrintConsentHandler;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The engine against a real OAuth2 server (mock-oauth2-server on 127.0.0.1), the test playing the operator. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OAuthEngineTest {

    private static final Duration SKEW = Duration.ofSeconds(60);
    private static final Duration CONSENT_TIMEOUT = Duration.ofSeconds(20);
    private static MockOAuth2Server server;

    @TempDir
    Path temp;

    private FileTokenVault vault;
    private MutableClock clock;
    private final List<Duration> waits = new CopyOnWriteArrayList<>();
    private OAuthEngine engine;
    private OAuthClient client;
    private final LogCapture capture = new LogCapture();
    private final List<String> logged = capture.lines;

    @BeforeAll
    static void startServer() {
        server = MockOAuth2Server.start(MockOAuth2Server.ROTATING);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void setUp() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        vault = new FileTokenVault(temp.resolve("vault"), key, "test key");
        clock = new MutableClock();
        engine = newEngine(server);
        client = clientOf(server, "mock-flow");
        capture.attach();
    }

    @AfterEach
    void tearDown() {
        capture.detach();
        assertEquals(List.of(), browserFailures, "the simulated browser failed");
    }

    private OAuthEngine newEngine(MockOAuth2Server s) {
        OAuthOptions options = new OAuthOptions(SKEW, Duration.ofSeconds(5), 3, Duration.ofMillis(10),
                Duration.ofMillis(40));
        return new OAuthEngine(vault, id -> Optional.empty(), options, clock, waits::add);
    }

    private static OAuthClient clientOf(MockOAuth2Server s, String flow) {
        return new OAuthClient(flow, "custom", s.authorizationEndpoint("default"), s.tokenEndpoint("default"),
                Optional.empty(), "envoi-desktop", false, List.of("openid", "offline_access"), Optional.empty(),
                Map.of());
    }

    /** A browser runs beside Envoi: opening a URL returns at once. Failures inside it are kept for the test. */
    private final List<Throwable> browserFailures = new CopyOnWriteArrayList<>();

    private java.util.function.Consumer<URI> browser(java.util.function.Consumer<URI> user) {
        return url -> {
            Thread t = new Thread(() -> {
                try {
                    user.accept(url);
                } catch (Throwable e) {
                    browserFailures.add(e);
                }
            }, "test-browser");
            t.setDaemon(true);
            t.start();
        };
    }

    /** A full consent through the loopback listener; returns the authorization URL the browser was sent to. */
    private URI consent(String operator) {
        AtomicReference<URI> seen = new AtomicReference<>();
        BrowserUser user = new BrowserUser(operator);
        engine.authorize(client, operator, new LoopbackConsentHandler(browser(url -> {
            seen.set(url);
            user.signInAndReturn(url);
        })), CONSENT_TIMEOUT);
        return seen.get();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String p : uri.getRawQuery().split("&")) {
            String[] kv = p.split("=", 2);
            out.put(kv[0], kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return out;
    }

    /** What the vault holds for the operator, read as any other reader of the vault would. */
    private TokenSet stored(String operator) throws Exception {
        String json = vault.read(VaultKey.tokens(client.flowId(), operator)).orElseThrow();
        var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        return new TokenSet(n.get("access").asText(), Optional.ofNullable(n.get("refresh")).map(x -> x.asText()),
                java.time.Instant.ofEpochSecond(n.get("expiresAt").asLong()), List.of());
    }

    private void expireAccessToken() {
        clock.advance(Duration.ofHours(1));
    }

    @Test
    void codeFlowWithPkceS256AndStateEndToEnd() throws Exception {
        URI url = consent("alice");
        Map<String, String> q = query(url);
        assertEquals("S256", q.get("code_challenge_method"));
        assertTrue(q.get("code_challenge").length() >= 43, "a real S256 challenge");
        assertTrue(q.get("state").length() >= 32, "an unguessable state");
        URI redirect = URI.create(q.get("redirect_uri"));
        assertEquals("127.0.0.1", redirect.getHost());
        assertEquals("envoi-desktop", q.get("client_id"));

        TokenSet t = stored("alice");
        assertTrue(t.refreshToken().isPresent(), "offline access gives a refresh token");
        assertEquals(CredentialStatus.State.VALID, engine.status(client.flowId(), "alice").state());
        assertEquals(t.accessToken(), engine.accessToken(client, "alice"));
        try (ServerSocket again = new ServerSocket(redirect.getPort(), 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(redirect.getPort(), again.getLocalPort(), "the listener released its port");
        }
    }

    @Test
    void fixedLoopbackPortAndPathAreUsedAndReleased() throws Exception {
        int port = TestServers.freePort();
        client = new OAuthClient(client.flowId(), "custom", client.authorizationUri(), client.tokenUri(),
                Optional.empty(), client.clientId(), false, client.scopes(),
                Optional.of(URI.create("http://127.0.0.1:" + port + "/envoi/callback")), Map.of());
        URI url = consent("alice");
        assertEquals("http://127.0.0.1:" + port + "/envoi/callback", query(url).get("redirect_uri"));
        new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")).close();
    }

    /**
     * Issue 19.2: a sign-in cancelled from the desktop while the provider's answer is on its way stores nothing of what
     * the exchange brings (the operator asked to stop; what was stored before stays).
     */
    @Test
    void aSignInCancelledBeforeItsExchangeEndsStoresNothing() throws Exception {
        BrowserUser user = new BrowserUser("erin");
        org.envoi.api.Cancellation cancel = new org.envoi.api.Cancellation();
        EnvoiException e = assertThrows(EnvoiException.class, () -> cancel.during(() -> engine.authorize(client,
                "erin", new LoopbackConsentHandler(browser(url -> {
                    cancel.cancel(); // Cancel pressed while the provider's page was open
                    user.signInAndReturn(url);
                })), CONSENT_TIMEOUT)));
        assertEquals(ErrorCode.OAUTH_FAILED, e.code());
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertEquals(Optional.empty(), vault.read(VaultKey.tokens(client.flowId(), "erin")), "nothing stored");
    }

    @Test
    void aForeignStateIsRefusedAndNothingIsStored() throws Exception {
        BrowserUser user = new BrowserUser("alice");
        AtomicReference<Integer> forgedStatus = new AtomicReference<>();
        CountDownLatch browserDone = new CountDownLatch(1);
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.authorize(client, "mallory",
                new LoopbackConsentHandler(browser(url -> {
                    URI back = user.signIn(url); // a real code, but the attacker swaps the state
                    String forged = back.toString().replaceAll("state=[^&]*", "state=forged");
                    forgedStatus.set(user.open(URI.create(forged)));
                    browserDone.countDown();
                })), Duration.ofSeconds(4)));
        assertTrue(browserDone.await(10, TimeUnit.SECONDS));
        assertEquals(400, forgedStatus.get(), "the listener refuses the forged answer");
        assertEquals(ErrorCode.OAUTH_FAILED, e.code());
        // the listener kept waiting for the right answer until its time limit, then said why none came
        assertTrue(e.getMessage().contains("4 s") && e.getMessage().contains("state"), e.getMessage());
        assertTrue(vault.read(VaultKey.tokens(client.flowId(), "mallory")).isEmpty());
    }

    @Test
    void aWrongPkceVerifierIsRejectedByTheServer() {
        // an attacker who changes the challenge on the way gets a code that Envoi's verifier cannot redeem
        BrowserUser user = new BrowserUser("alice");
        String otherChallenge = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.authorize(client, "alice",
                new LoopbackConsentHandler(browser(url -> user.signInAndReturn(URI.create(
                        url.toString().replaceAll("code_challenge=[^&]*", "code_challenge=" + otherChallenge))))),
                CONSENT_TIMEOUT));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code(), e.getMessage());
        assertTrue(vault.read(VaultKey.tokens(client.flowId(), "alice")).isEmpty(), "nothing stored");
    }

    @Test
    void rotatedRefreshTokenIsStoredBeforeTheAccessTokenIsHandedOut() throws Exception {
        consent("alice");
        TokenSet first = stored("alice");
        expireAccessToken();
        String access = engine.accessToken(client, "alice");
        TokenSet second = stored("alice");
        assertEquals(access, second.accessToken(), "the token handed out is the one in the vault");
        assertNotEquals(first.refreshToken(), second.refreshToken(), "the server rotated the refresh token");
        assertEquals(400, refreshDirectly(first.refreshToken().orElseThrow()), "the old refresh token is dead");

        expireAccessToken();
        String third = engine.accessToken(client, "alice");
        assertNotEquals(access, third, "a second silent refresh works: the new refresh token was kept");
    }

    @Test
    void tokenIsRefreshedBeforeItExpiresAndCachedOtherwise() throws Exception {
        consent("alice");
        long before = engine.tokenRequests();
        String a = engine.accessToken(client, "alice");
        assertEquals(a, engine.accessToken(client, "alice"));
        assertEquals(before, engine.tokenRequests(), "a valid token costs no request");
        TokenSet t = stored("alice");
        clock.advance(Duration.between(clock.instant(), t.expiresAt()).minus(SKEW.dividedBy(2)));
        String b = engine.accessToken(client, "alice");
        assertNotEquals(a, b, "refreshed while still valid, inside the skew");
        assertEquals(before + 1, engine.tokenRequests());
    }

    @Test
    void hundredConcurrentCallersCauseOneRefresh() throws Exception {
        consent("alice");
        expireAccessToken();
        long before = engine.tokenRequests();
        int n = 100;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            results.add(pool.submit(() -> {
                go.await();
                return engine.accessToken(client, "alice");
            }));
        }
        go.countDown();
        Set<String> tokens = new HashSet<>();
        for (Future<String> f : results) {
            tokens.add(f.get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(1, engine.tokenRequests() - before, "exactly one token request");
        assertEquals(1, tokens.size(), "all callers got the same new token");
        assertEquals(stored("alice").accessToken(), tokens.iterator().next());
    }

    @Test
    void revokedRefreshTokenAsksForConsentAndKeepsEverythingElse() throws Exception {
        consent("alice");
        consent("bob");
        vault.write(VaultKey.clientSecret("other-flow"), "kept-secret");
        Path bobFile = vault.fileFor(VaultKey.tokens(client.flowId(), "bob"));
        byte[] bobBefore = Files.readAllBytes(bobFile);
        revoke(stored("alice").refreshToken().orElseThrow());
        expireAccessToken();

        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(client, "alice"));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code());
        CredentialStatus status = engine.status(client.flowId(), "alice");
        assertEquals(CredentialStatus.State.CONSENT_REQUIRED, status.state());
        assertTrue(status.reason().orElseThrow().contains("sign in again"), status.reason().orElseThrow());
        assertArrayEquals(bobBefore, Files.readAllBytes(bobFile), "another operator's tokens untouched");
        assertEquals(Optional.of("kept-secret"), vault.read(VaultKey.clientSecret("other-flow")));

        long requests = engine.tokenRequests();
        assertThrows(EnvoiException.class, () -> engine.accessToken(client, "alice"));
        assertEquals(requests, engine.tokenRequests(), "a dead credential is not hammered");

        consent("alice");
        assertEquals(CredentialStatus.State.VALID, engine.status(client.flowId(), "alice").state(),
                "a new consent heals it");
    }

    @Test
    void serverDownIsRetriedWithBackoffAndLosesNothing() throws Exception {
        try (MockOAuth2Server own = MockOAuth2Server.start(MockOAuth2Server.ROTATING)) {
            client = clientOf(own, "down-flow");
            engine = newEngine(own);
            consent("alice");
            Path file = vault.fileFor(VaultKey.tokens(client.flowId(), "alice"));
            byte[] before = Files.readAllBytes(file);
            own.stop();
            expireAccessToken();
            waits.clear();
            EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(client, "alice"));
            assertEquals(ErrorCode.OAUTH_UNAVAILABLE, e.code());
            assertTrue(e.getMessage().contains("3 attempts") && e.getMessage().contains("Nothing was deleted"),
                    e.getMessage());
            assertEquals(List.of(Duration.ofMillis(10), Duration.ofMillis(20)), waits, "exponential back-off");
            assertArrayEquals(before, Files.readAllBytes(file), "the refresh token is kept as it was");
            assertEquals(CredentialStatus.State.VALID, engine.status(client.flowId(), "alice").state());
        }
    }

    @Test
    void printConsentReadsTheRedirectedUrlBack() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PipedWriter typing = new PipedWriter();
        BufferedReader in = new BufferedReader(new PipedReader(typing));
        BrowserUser user = new BrowserUser("carol");
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8) {
            @Override
            public void println(Object x) {
                super.println(x);
                // the operator opens the printed URL elsewhere, signs in, pastes the address the browser ends on
                URI landed = user.signIn(URI.create(x.toString()));
                try {
                    typing.write(landed + "\n");
                    typing.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        TokenSet t = engine.authorize(client, "carol", new PrintConsentHandler(out, in), CONSENT_TIMEOUT);
        assertTrue(printed.toString(StandardCharsets.UTF_8).startsWith(server.base()), "one line: the URL");
        assertEquals(t.accessToken(), engine.accessToken(client, "carol"));
    }

    @Test
    void consentTimesOutAndReleasesThePort() throws Exception {
        AtomicReference<URI> seen = new AtomicReference<>();
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.authorize(client, "dave",
                new LoopbackConsentHandler(seen::set), Duration.ofMillis(500)));
        assertEquals(ErrorCode.OAUTH_FAILED, e.code());
        int port = URI.create(query(seen.get()).get("redirect_uri")).getPort();
        new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")).close();
    }

    @Test
    void clientCredentialsForAppOnlyAccess() throws Exception {
        vault.write(VaultKey.clientSecret("app-flow"), "app-secret");
        OAuthClient app = new OAuthClient("app-flow", "custom", client.authorizationUri(), client.tokenUri(),
                Optional.empty(), "envoi-daemon", true, List.of("https://outlook.office365.com/.default"),
                Optional.empty(), Map.of());
        TokenSet t = engine.clientCredentials(app);
        assertTrue(t.refreshToken().isEmpty());
        assertEquals(t.accessToken(), engine.accessToken(app, VaultKey.SHARED));
        clock.advance(Duration.ofHours(2));
        assertNotEquals(t.accessToken(), engine.accessToken(app, VaultKey.SHARED), "renewed by a new grant");

        EnvoiException noSecret = assertThrows(EnvoiException.class, () -> engine.clientCredentials(
                new OAuthClient("no-secret", "custom", client.authorizationUri(), client.tokenUri(), Optional.empty(),
                        "x", true, List.of("s"), Optional.empty(), Map.of())));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, noSecret.code());
        assertEquals("clientSecret", noSecret.field());
    }

    @Test
    void anEndpointNeitherHttpsNorLoopbackIsGivenNothingWhateverTheProvider() {
        vault.write(VaultKey.clientSecret("evil-flow"), "never-sent");
        OAuthClient evil = new OAuthClient("evil-flow", "microsoft", URI.create("https://login.example.com/auth"),
                URI.create("http://evil.example/token"), Optional.empty(), "envoi-daemon", true, List.of("s"),
                Optional.empty(), Map.of());
        long before = engine.tokenRequests();
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.clientCredentials(evil));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code());
        assertEquals("tokenUri", e.field());
        assertFalse(e.getMessage().contains("never-sent"));
        assertEquals(before, engine.tokenRequests(), "no request was made");
        OAuthClient v6 = new OAuthClient("v6-flow", "custom", URI.create("http://[::1]:1/auth"),
                URI.create("http://[::1]:1/token"), Optional.of(URI.create("http://evil.example/device")),
                "envoi-desktop", false, List.of("s"), Optional.empty(), Map.of());
        assertEquals("deviceUri", assertThrows(EnvoiException.class, () -> engine.authorizeWithDeviceCode(v6, "alice",
                (code, uri, complete, expires) -> { }, Duration.ofSeconds(1))).field());
    }

    @Test
    void noSecretEverReachesALogOrAnErrorMessage() throws Exception {
        List<String> messages = new ArrayList<>();
        vault.write(VaultKey.clientSecret("app-flow"), "s3cr3t-client-value");
        OAuthClient app = new OAuthClient("app-flow", "custom", client.authorizationUri(), client.tokenUri(),
                Optional.empty(), "envoi-daemon", true, List.of("scope"), Optional.empty(), Map.of());
        engine.clientCredentials(app);
        consent("erin");
        TokenSet first = stored("erin");
        expireAccessToken();
        engine.accessToken(client, "erin");
        TokenSet second = stored("erin");
        revoke(second.refreshToken().orElseThrow());
        expireAccessToken();
        messages.add(assertThrows(EnvoiException.class, () -> engine.accessToken(client, "erin")).toString());
        List<String> secrets = List.of(first.accessToken(), first.refreshToken().orElseThrow(), second.accessToken(),
                second.refreshToken().orElseThrow(), "s3cr3t-client-value");
        List<String> all = new ArrayList<>(logged);
        all.addAll(messages);
        all.add(first.toString());
        assertFalse(logged.isEmpty(), "the engine does log what it does");
        for (String line : all) {
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "a secret leaked into: " + line);
            }
        }
    }

    /**
     * Stands in front of a real server and keeps every byte sent to it, so that a test can prove what reached it.
     */
    private static final class RecordingRelay implements AutoCloseable {
        private final ServerSocket listener;
        private final int target;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();

        RecordingRelay(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread t = new Thread(this::serve, "recording-relay");
            t.setDaemon(true);
            t.start();
        }

        URI uri(URI real) {
            return URI.create(real.toString().replace(":" + target + "/", ":" + listener.getLocalPort() + "/"));
        }

        private void serve() {
            while (!listener.isClosed()) {
                try {
                    java.net.Socket in = listener.accept();
                    connections.incrementAndGet();
                    java.net.Socket out = new java.net.Socket("127.0.0.1", target);
                    pump(in, out, true);
                    pump(out, in, false);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(java.net.Socket from, java.net.Socket to, boolean record) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (var i = from.getInputStream(); var o = to.getOutputStream()) {
                    for (int n = i.read(buf); n >= 0; n = i.read(buf)) {
                        if (record) {
                            synchronized (received) {
                                received.write(buf, 0, n);
                            }
                        }
                        o.write(buf, 0, n);
                        o.flush();
                    }
                } catch (IOException e) {
                    // the other side closed
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            }, "recording-relay-pump");
            t.setDaemon(true);
            t.start();
        }

        int connections() {
            return connections.get();
        }

        String received() {
            synchronized (received) {
                return URLDecoder.decode(received.toString(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }

    private static OAuthClient moved(OAuthClient c, URI auth, URI token, String clientId) {
        return new OAuthClient(c.flowId(), c.providerId(), auth, token, c.deviceUri(), clientId, c.confidential(),
                c.scopes(), c.redirectUri(), c.authorizationParameters());
    }

    @Test
    void aSignInAndTheSecretAreNeverSentToAnotherTokenEndpoint() throws Exception {
        try (MockOAuth2Server second = MockOAuth2Server.start(MockOAuth2Server.ROTATING);
                RecordingRelay relay = new RecordingRelay(second.port())) {
            String flow = "moved-flow";
            vault.write(VaultKey.clientSecret(flow), "first-client-secret");
            client = new OAuthClient(flow, "custom", server.authorizationEndpoint("default"),
                    server.tokenEndpoint("default"), Optional.empty(), "envoi-desktop", true,
                    List.of("openid", "offline_access"), Optional.empty(), Map.of());
            consent("alice");
            TokenSet signedIn = stored("alice");
            // an import or an edit gives the flow another token endpoint: a second real server
            OAuthClient elsewhere = moved(client, relay.uri(second.authorizationEndpoint("default")),
                    relay.uri(second.tokenEndpoint("default")), client.clientId());
            expireAccessToken();

            EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(elsewhere, "alice"));
            assertEquals(ErrorCode.CONSENT_REQUIRED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("token endpoint changed"), e.getMessage());
            CredentialStatus status = engine.status(flow, "alice");
            assertEquals(CredentialStatus.State.CONSENT_REQUIRED, status.state());
            assertTrue(status.reason().orElseThrow().contains("token endpoint changed")
                    && status.reason().orElseThrow().contains("sign in again"), status.reason().orElseThrow());
            EnvoiException secret = assertThrows(EnvoiException.class, () -> engine.clientCredentials(elsewhere));
            assertEquals(ErrorCode.INVALID_FLOW_DATA, secret.code());
            assertEquals("clientSecret", secret.field());
            assertTrue(secret.getMessage().contains("enter") && secret.getMessage().contains("token endpoint"),
                    secret.getMessage());
            EnvoiException signIn = assertThrows(EnvoiException.class, () -> engine.authorize(elsewhere, "bob",
                    new LoopbackConsentHandler(browser(url -> new BrowserUser("bob").signInAndReturn(url))),
                    CONSENT_TIMEOUT));
            assertEquals("clientSecret", signIn.field(), "a sign-in would send the old secret: refused first");
            assertEquals(0, relay.connections(), "the second server received nothing: " + relay.received());

            // the same endpoint with another client ID: the same refusal
            consent("carol");
            OAuthClient otherApp = moved(client, client.authorizationUri(), client.tokenUri(), "another-app");
            expireAccessToken();
            EnvoiException app = assertThrows(EnvoiException.class, () -> engine.accessToken(otherApp, "carol"));
            assertEquals(ErrorCode.CONSENT_REQUIRED, app.code());
            assertTrue(app.getMessage().contains("client ID changed"), app.getMessage());

            // the administrator enters the secret for the new endpoint; alice signs in there: the relay sees it all
            vault.write(VaultKey.clientSecret(flow), "second-client-secret");
            vault.write(VaultKey.clientBinding(flow), ClientBinding.of(elsewhere).encode());
            client = elsewhere;
            consent("alice");
            assertTrue(relay.received().contains("second-client-secret"), "the relay records what is sent to it");
            assertFalse(relay.received().contains("first-client-secret"));
            assertFalse(relay.received().contains(signedIn.refreshToken().orElseThrow()));
            assertFalse(relay.received().contains(signedIn.accessToken()));
            assertEquals(CredentialStatus.State.VALID, engine.status(flow, "alice").state());
            assertEquals(stored("alice").accessToken(), engine.accessToken(elsewhere, "alice"));
        }
    }

    @Test
    void appOnlyAccessOnAnotherEndpointWaitsForTheSecretThenGrantsAgain() throws Exception {
        vault.write(VaultKey.clientSecret("app-moved"), "app-secret");
        OAuthClient app = new OAuthClient("app-moved", "custom", client.authorizationUri(), client.tokenUri(),
                Optional.empty(), "envoi-daemon", true, List.of("s"), Optional.empty(), Map.of());
        String first = engine.clientCredentials(app).accessToken();
        OAuthClient elsewhere = moved(app, server.authorizationEndpoint("other"), server.tokenEndpoint("other"),
                app.clientId());
        engine.clientChanged(app, elsewhere);
        long before = engine.tokenRequests();
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(elsewhere, VaultKey.SHARED));
        assertEquals("clientSecret", e.field(), "the token of the old endpoint is not handed out: " + e.getMessage());
        assertEquals(before, engine.tokenRequests(), "and the old secret is not sent");

        vault.write(VaultKey.clientSecret("app-moved"), "new-app-secret");
        vault.write(VaultKey.clientBinding("app-moved"), ClientBinding.of(elsewhere).encode());
        String second = engine.accessToken(elsewhere, VaultKey.SHARED);
        assertNotEquals(first, second, "a new grant at the new endpoint, no sign-in needed");
        assertEquals(CredentialStatus.State.VALID, engine.status("app-moved", VaultKey.SHARED).state());
    }

    @Test
    void entriesStoredBeforeBindingsAreBoundOnFirstUse() throws Exception {
        consent("alice");
        VaultKey key = VaultKey.tokens(client.flowId(), "alice");
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(vault.read(key).orElseThrow());
        json.remove(List.of("clientId", "tokenUri"));
        vault.write(key, json.toString()); // as the previous version wrote it
        vault.write(VaultKey.clientSecret("app-flow"), "app-secret"); // a secret without a binding
        engine = newEngine(server);

        expireAccessToken();
        String fresh = engine.accessToken(client, "alice");
        assertEquals(stored("alice").accessToken(), fresh, "an old entry works for the endpoint the flow has");
        OAuthClient app = new OAuthClient("app-flow", "custom", client.authorizationUri(), client.tokenUri(),
                Optional.empty(), "envoi-daemon", true, List.of("s"), Optional.empty(), Map.of());
        engine.clientCredentials(app);
        assertEquals(Optional.of(ClientBinding.of(app).encode()), vault.read(VaultKey.clientBinding("app-flow")),
                "the secret was bound to the endpoint it was first used with");
        OAuthClient moved = moved(client, client.authorizationUri(), URI.create("https://login.example.com/token"),
                client.clientId());
        assertEquals(ErrorCode.CONSENT_REQUIRED, assertThrows(EnvoiException.class, () -> {
            expireAccessToken();
            engine.accessToken(moved, "alice");
        }).code(), "and is bound from then on");
    }

    private int refreshDirectly(String refreshToken) throws Exception {
        return post(client.tokenUri(), "grant_type=refresh_token&client_id=envoi-desktop&refresh_token="
                + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8));
    }

    /** What an administrator revoking the app's access does at the provider. */
    private void revoke(String refreshToken) throws Exception {
        assertEquals(200, post(server.revocationEndpoint("default"), "token_type_hint=refresh_token"
                + "&client_id=envoi-desktop&token=" + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8)));
    }

    private static int post(URI uri, String form) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
