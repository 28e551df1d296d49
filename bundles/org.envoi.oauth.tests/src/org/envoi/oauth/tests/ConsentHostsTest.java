package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
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

/**
 * The consent hosts under what a real desktop meets: other local programs knocking on the loopback listener, a
 * browser that resolves {@code localhost} to {@code ::1}, an operator who never pastes the address back. Against a
 * real OAuth server (mock-oauth2-server on 127.0.0.1), the test playing the browser.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ConsentHostsTest {

    private static final Duration CONSENT_TIMEOUT = Duration.ofSeconds(20);
    private static MockOAuth2Server server;

    @TempDir
    Path temp;

    private FileTokenVault vault;
    private OAuthEngine engine;
    private final List<Throwable> browserFailures = new CopyOnWriteArrayList<>();

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
        engine = new OAuthEngine(vault, id -> Optional.empty(), new OAuthOptions(Duration.ofSeconds(60),
                Duration.ofSeconds(5), 3, Duration.ofMillis(10), Duration.ofMillis(40)), new MutableClock(), d -> {
                });
    }

    @AfterEach
    void tearDown() {
        assertEquals(List.of(), browserFailures, "the simulated browser failed");
    }

    private static OAuthClient client(Optional<URI> redirect) {
        return new OAuthClient("mock-flow", "custom", server.authorizationEndpoint("default"),
                server.tokenEndpoint("default"), Optional.empty(), "envoi-desktop", false,
                List.of("openid", "offline_access"), redirect, Map.of());
    }

    /** A browser beside Envoi: opening a URL returns at once; what fails inside it is kept for the test. */
    private Consumer<URI> browser(Consumer<URI> user) {
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

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new HashMap<>();
        for (String p : uri.getRawQuery().split("&")) {
            String[] kv = p.split("=", 2);
            out.put(kv[0], kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return out;
    }

    /** The same address on another host: what a browser does when it resolves the redirect's name its own way. */
    private static URI onHost(URI uri, String host) {
        return URI.create(uri.getScheme() + "://" + host + ":" + uri.getPort() + uri.getRawPath() + "?"
                + uri.getRawQuery());
    }

    private static URI withoutState(URI back) {
        String q = String.join("&", java.util.Arrays.stream(back.getRawQuery().split("&"))
                .filter(p -> !p.startsWith("state=")).toList());
        return URI.create(back.toString().replaceAll("\\?.*", "") + "?" + q);
    }

    // ---------------------------------------------------------------- loopback: stray requests

    @Test
    void requestsWithoutOrWithAForeignStateAreRefusedAndTheSignInGoesOn() throws Exception {
        BrowserUser user = new BrowserUser("alice");
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        TokenSet tokens = engine.authorize(client(Optional.empty()), "alice", new LoopbackConsentHandler(browser(
                url -> {
                    URI back = user.signIn(url);
                    // any local program or web page can reach the listener before the browser does
                    statuses.add(user.open(withoutState(back)));
                    statuses.add(user.open(URI.create(back.toString().replaceAll("state=[^&]*", "state=forged"))));
                    statuses.add(user.open(URI.create(back.toString().replaceAll("\\?.*", "?error=access_denied"))));
                    statuses.add(user.open(back));
                })), CONSENT_TIMEOUT);
        assertEquals(List.of(400, 400, 400, 200), statuses, "stray answers refused, the right one taken");
        assertTrue(vault.read(VaultKey.tokens("mock-flow", "alice")).isPresent(), "the sign-in completed");
        assertEquals(tokens.accessToken(), engine.accessToken(client(Optional.empty()), "alice"));
    }

    // ---------------------------------------------------------------- loopback: the redirect's own address

    @Test
    void aLocalhostRedirectAnswersOnIpv4AndIpv6() throws Exception {
        int port = TestServers.freePort();
        URI redirect = URI.create("http://localhost:" + port + "/cb");
        for (String host : List.of("[::1]", "127.0.0.1")) {
            BrowserUser user = new BrowserUser("alice");
            AtomicReference<URI> sent = new AtomicReference<>();
            AtomicReference<Integer> status = new AtomicReference<>();
            engine.authorize(client(Optional.of(redirect)), "alice", new LoopbackConsentHandler(browser(url -> {
                sent.set(url);
                status.set(user.open(onHost(user.signIn(url), host)));
            })), CONSENT_TIMEOUT);
            assertEquals("http://localhost:" + port + "/cb", query(sent.get()).get("redirect_uri"));
            assertEquals(200, status.get(), host);
        }
    }

    @Test
    void aLocalhostRedirectOnAFreePortAnswersOnIpv6() throws Exception {
        BrowserUser user = new BrowserUser("alice");
        AtomicReference<URI> sent = new AtomicReference<>();
        AtomicReference<Integer> status = new AtomicReference<>();
        engine.authorize(client(Optional.of(URI.create("http://localhost/cb"))), "alice", new LoopbackConsentHandler(
                browser(url -> {
                    sent.set(url);
                    status.set(user.open(onHost(user.signIn(url), "[::1]")));
                })), CONSENT_TIMEOUT);
        URI redirect = URI.create(query(sent.get()).get("redirect_uri"));
        assertEquals("localhost", redirect.getHost());
        assertTrue(redirect.getPort() > 0, redirect.toString());
        assertEquals(200, status.get());
    }

    @Test
    void anIpv6LoopbackRedirectIsServedOnIpv6() throws Exception {
        int port = TestServers.freePort();
        BrowserUser user = new BrowserUser("alice");
        AtomicReference<URI> sent = new AtomicReference<>();
        AtomicReference<Integer> status = new AtomicReference<>();
        engine.authorize(client(Optional.of(URI.create("http://[::1]:" + port + "/cb"))), "alice",
                new LoopbackConsentHandler(browser(url -> {
                    sent.set(url);
                    status.set(user.open(user.signIn(url)));
                })), CONSENT_TIMEOUT);
        assertEquals("http://[::1]:" + port + "/cb", query(sent.get()).get("redirect_uri"));
        assertEquals(200, status.get());
    }

    // ---------------------------------------------------------------- print

    @Test
    void printGivesUpAtItsTimeLimitAndLeavesTheInputToWhoeverReadsNext() throws Exception {
        PipedWriter typing = new PipedWriter();
        BufferedReader in = new BufferedReader(new PipedReader(typing));
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        EnvoiException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(EnvoiException.class,
                () -> engine.authorize(client(Optional.empty()), "carol", new PrintConsentHandler(out, in),
                        Duration.ofSeconds(2))), "the print host waits no longer than its time limit");
        assertEquals(ErrorCode.OAUTH_FAILED, e.code());
        assertTrue(e.getMessage().contains("2 s"), "names the limit: " + e.getMessage());
        // the operator types the next answer: it goes to the next reader, not to a sign-in that gave up
        typing.write("the next line\n");
        typing.flush();
        assertEquals("the next line", assertTimeoutPreemptively(Duration.ofSeconds(10), in::readLine));
        assertTrue(vault.read(VaultKey.tokens("mock-flow", "carol")).isEmpty());
    }

    @Test
    void printSeesTheEndOfInputAtOnce() {
        // a reader whose ready() is true at the end (the command line's standard input is one): no wait for the limit
        BufferedReader in = new BufferedReader(new java.io.StringReader(""));
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        EnvoiException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(EnvoiException.class,
                () -> engine.authorize(client(Optional.empty()), "carol", new PrintConsentHandler(out, in),
                        Duration.ofMinutes(15))));
        assertEquals(ErrorCode.OAUTH_FAILED, e.code());
        assertTrue(e.getMessage().startsWith("No redirected URL was given"), e.getMessage());
    }
}
