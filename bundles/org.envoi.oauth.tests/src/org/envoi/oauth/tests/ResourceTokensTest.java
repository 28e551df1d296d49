package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.CredentialStatus.State;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One flow and operator holding tokens of two resources, as a Microsoft flow that sends over SMTP (Exchange) and
 * stores files through Graph must, since Microsoft refuses scopes of two resources in one request (AADSTS70011). The
 * real mock-oauth2-server issues a token for Graph's audience when Graph scopes are asked for, and for the audience
 * {@code mail} otherwise: each token's audience, read from the JWT, shows which sign-in it came from.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ResourceTokensTest {

    private static final String FLOW = "m365-two";
    private static final String GRAPH = "graph";
    private static final Duration CONSENT_TIMEOUT = Duration.ofSeconds(20);
    private static MockOAuth2Server server;

    @TempDir
    Path temp;

    private FileTokenVault vault;
    private MutableClock clock;
    private OAuthEngine engine;
    /** The flow's own sign-in: its mail scope. */
    private OAuthClient mail;
    /** The same flow's Graph sign-in. */
    private OAuthClient graph;
    private final List<Throwable> browserFailures = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startServer() {
        server = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
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
        engine = newEngine();
        mail = new OAuthClient(FLOW, "custom", server.authorizationEndpoint("mail"), server.tokenEndpoint("mail"),
                Optional.empty(), "envoi-desktop", false, List.of("openid", "mail", "offline_access"),
                Optional.empty(),
                Map.of());
        // mock-oauth2-server's authorization endpoint wants openid, as Microsoft's takes it with any resource
        graph = mail.forResource(GRAPH, List.of("openid", MockOAuth2Server.GRAPH_AUDIENCE + "/Files.ReadWrite",
                "offline_access"));
    }

    @AfterEach
    void noBrowserFailure() {
        assertEquals(List.of(), browserFailures, "the simulated browser failed");
    }

    private OAuthEngine newEngine() {
        return new OAuthEngine(vault, id -> Optional.empty(), new OAuthOptions(Duration.ofSeconds(60),
                Duration.ofSeconds(5), 3, Duration.ofMillis(10), Duration.ofMillis(40)), clock, d -> { });
    }

    private void consent(OAuthClient client, String operator) {
        engine.authorize(client, operator, consentHost(operator), CONSENT_TIMEOUT);
    }

    /** The loopback host with a browser in which the operator signs in. */
    private LoopbackConsentHandler consentHost(String operator) {
        BrowserUser user = new BrowserUser(operator);
        return new LoopbackConsentHandler(url -> {
            Thread t = new Thread(() -> {
                try {
                    user.signInAndReturn(url);
                } catch (Throwable e) {
                    browserFailures.add(e);
                }
            }, "test-browser");
            t.setDaemon(true);
            t.start();
        });
    }

    /** The {@code aud} claim of a JWT access token, as the resource server reads it. */
    private static Set<String> audience(String jwt) throws Exception {
        String[] parts = jwt.split("\\.");
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        Set<String> out = new HashSet<>();
        JsonNode aud = claims.get("aud");
        if (aud.isArray()) {
            aud.forEach(a -> out.add(a.asText()));
        } else {
            out.add(aud.asText());
        }
        return out;
    }

    private byte[] fileOf(OAuthClient client, String operator) throws Exception {
        return Files.readAllBytes(vault.fileFor(VaultKey.tokens(FLOW, operator, client.resource())));
    }

    private void bothSignedIn(String operator) {
        consent(mail, operator);
        consent(graph, operator);
    }

    @Test
    void eachResourceGivesTheTokenOfItsOwnSignIn() throws Exception {
        String mailSignIn = engine.authorize(mail, "alice", consentHost("alice"), CONSENT_TIMEOUT).accessToken();
        String graphSignIn = engine.authorize(graph, "alice", consentHost("alice"), CONSENT_TIMEOUT).accessToken();
        assertEquals(mailSignIn, engine.accessToken(mail, "alice"), "the flow's own sign-in's token");
        assertEquals(graphSignIn, engine.accessToken(graph, "alice"), "the Graph sign-in's token");
        // the same from the vault alone, as another process would read it (no cache)
        engine = newEngine();
        assertEquals(mailSignIn, engine.accessToken(mail, "alice"));
        assertEquals(graphSignIn, engine.accessToken(graph, "alice"));

        // mock-oauth2-server drops the scope of a code exchange (RFC 6749 4.1.3 has none), so a sign-in's first token
        // does not show its resource; a refresh carries the scopes, and its token the audience they belong to
        clock.advance(Duration.ofHours(2));
        assertEquals(Set.of("mail"), audience(engine.accessToken(mail, "alice")), "the mail sign-in renews for mail");
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(engine.accessToken(graph, "alice")),
                "the Graph sign-in renews for Graph");

        assertEquals(State.VALID, engine.status(FLOW, "alice", "").state());
        assertEquals(State.VALID, engine.status(FLOW, "alice", GRAPH).state());
        assertEquals(State.VALID, engine.status(FLOW, "alice").state(), "the two-argument status is the flow's own");
        assertEquals(List.of("", GRAPH), engine.resources(FLOW, "alice"));
        assertEquals(State.NONE, engine.status(FLOW, "bob", GRAPH).state());
        assertEquals(Set.of(new VaultKey("tokens", FLOW, "alice"), new VaultKey("tokens.graph", FLOW, "alice")),
                Set.copyOf(vault.keys(FLOW)), "two entries: the flow's own under its old name, Graph's beside it");
    }

    @Test
    void refreshingOneResourceLeavesTheOtherEntryByteIdentical() throws Exception {
        bothSignedIn("alice");
        String mailToken = engine.accessToken(mail, "alice");
        String graphToken = engine.accessToken(graph, "alice");
        byte[] mailBefore = fileOf(mail, "alice");
        clock.advance(Duration.ofHours(2));

        long before = engine.tokenRequests();
        String fresh = engine.accessToken(graph, "alice");
        assertEquals(1, engine.tokenRequests() - before, "one refresh, Graph's");
        assertNotEquals(graphToken, fresh);
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(fresh), "refreshed with Graph's scopes");
        assertArrayEquals(mailBefore, fileOf(mail, "alice"), "the mail sign-in was not touched");

        String freshMail = engine.accessToken(mail, "alice");
        assertEquals(2, engine.tokenRequests() - before, "the mail token is refreshed on its own");
        assertNotEquals(mailToken, freshMail);
        assertEquals(Set.of("mail"), audience(freshMail));
        assertEquals(fresh, engine.accessToken(graph, "alice"), "and Graph's stays as refreshed");
    }

    @Test
    void concurrentCallersMakeOneRefreshPerResource() throws Exception {
        bothSignedIn("alice");
        clock.advance(Duration.ofHours(2));
        long before = engine.tokenRequests();
        int perResource = 20;
        ExecutorService pool = Executors.newFixedThreadPool(2 * perResource);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> mailCalls = new ArrayList<>();
        List<Future<String>> graphCalls = new ArrayList<>();
        for (int i = 0; i < perResource; i++) {
            mailCalls.add(pool.submit(() -> {
                go.await();
                return engine.accessToken(mail, "alice");
            }));
            graphCalls.add(pool.submit(() -> {
                go.await();
                return engine.accessToken(graph, "alice");
            }));
        }
        go.countDown();
        Set<String> mailTokens = new HashSet<>();
        Set<String> graphTokens = new HashSet<>();
        for (int i = 0; i < perResource; i++) {
            mailTokens.add(mailCalls.get(i).get(30, TimeUnit.SECONDS));
            graphTokens.add(graphCalls.get(i).get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(2, engine.tokenRequests() - before, "one refresh per resource, not one for both nor one each");
        assertEquals(1, mailTokens.size());
        assertEquals(1, graphTokens.size());
        assertEquals(Set.of("mail"), audience(mailTokens.iterator().next()));
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(graphTokens.iterator().next()));
    }

    @Test
    void rejectingOneResourceRefreshesOnlyThatOne() throws Exception {
        bothSignedIn("alice");
        String mailToken = engine.accessToken(mail, "alice");
        String graphToken = engine.accessToken(graph, "alice");
        byte[] mailBefore = fileOf(mail, "alice");

        engine.reject(mail, "alice", graphToken); // Graph's token offered as the mail resource's: not that one
        engine.reject(graph, "alice", graphToken);
        long before = engine.tokenRequests();
        assertEquals(mailToken, engine.accessToken(mail, "alice"), "the mail token is still good");
        assertEquals(before, engine.tokenRequests(), "and cost no request");
        assertArrayEquals(mailBefore, fileOf(mail, "alice"));

        String fresh = engine.accessToken(graph, "alice");
        assertEquals(1, engine.tokenRequests() - before, "Graph's refreshed once");
        assertNotEquals(graphToken, fresh);
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(fresh));
    }

    @Test
    void aChangedClientAsksForConsentForEveryResource() throws Exception {
        bothSignedIn("alice");
        consent(mail, "bob");
        OAuthClient moved = new OAuthClient(FLOW, "custom", server.authorizationEndpoint("other"),
                server.tokenEndpoint("other"), Optional.empty(), mail.clientId(), false, mail.scopes(),
                Optional.empty(), Map.of());
        engine.clientChanged(mail, moved);

        for (String resource : List.of("", GRAPH)) {
            var status = engine.status(FLOW, "alice", resource);
            assertEquals(State.CONSENT_REQUIRED, status.state(), "resource '" + resource + "'");
            assertTrue(status.reason().orElseThrow().contains("token endpoint changed"), status.reason().get());
        }
        assertEquals(State.CONSENT_REQUIRED, engine.status(FLOW, "bob", "").state());
        long before = engine.tokenRequests();
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(moved.forResource(GRAPH,
                graph.scopes()), "alice"));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code());
        assertTrue(e.getMessage().contains(GRAPH), "the sentence names the resource: " + e.getMessage());
        assertEquals(before, engine.tokenRequests(), "nothing was sent to the new endpoint");
    }

    @Test
    void aVaultWrittenBeforeResourcesStillGivesItsToken() throws Exception {
        consent(mail, "alice");
        String json = vault.read(VaultKey.tokens(FLOW, "alice")).orElseThrow();
        String token = new ObjectMapper().readTree(json).get("access").asText();
        // the entry as the previous version named it: kind "tokens", no resource anywhere
        vault.delete(VaultKey.tokens(FLOW, "alice"));
        vault.write(new VaultKey("tokens", "old-flow", "alice"), json);
        engine = newEngine();
        OAuthClient old = new OAuthClient("old-flow", "custom", mail.authorizationUri(), mail.tokenUri(),
                Optional.empty(), mail.clientId(), false, mail.scopes(), Optional.empty(), Map.of());

        assertEquals("", old.resource(), "the old constructor is the flow's own sign-in");
        assertEquals(token, engine.accessToken(old, "alice"));
        assertEquals(State.VALID, engine.status("old-flow", "alice").state());
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.accessToken(old.forResource(GRAPH,
                graph.scopes()), "alice"));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code(), "Graph was never signed in to: no fall-back on the"
                + " flow's own token");
        assertTrue(Files.exists(temp.resolve("vault").resolve("tokens~old-flow~alice.vlt")), "the same file");
    }

    @Test
    void signingOutForgetsEveryResourceOfThatOperatorOnly() throws Exception {
        bothSignedIn("alice");
        consent(graph, "bob");
        byte[] bobBefore = fileOf(graph, "bob");

        assertTrue(engine.signOut(FLOW, "alice"));
        assertEquals(State.NONE, engine.status(FLOW, "alice", "").state());
        assertEquals(State.NONE, engine.status(FLOW, "alice", GRAPH).state());
        assertEquals(List.of(), engine.resources(FLOW, "alice"));
        assertThrows(EnvoiException.class, () -> engine.accessToken(graph, "alice"), "not from the cache either");
        assertArrayEquals(bobBefore, fileOf(graph, "bob"), "another operator's sign-in untouched");
        assertFalse(engine.signOut(FLOW, "alice"), "nothing left to forget");
    }

    @Test
    void appOnlyTokensAreKeptPerResourceToo() throws Exception {
        // a generic flow's app-only access: client alice of the mail issuer, a secret, no sign-in
        vault.write(VaultKey.clientSecret("app-two"), "app-secret");
        OAuthClient app = new OAuthClient("app-two", "custom", mail.authorizationUri(), mail.tokenUri(),
                Optional.empty(), "alice", true, List.of("mail"), Optional.empty(), Map.of());
        OAuthClient appGraph = app.forResource(GRAPH, List.of(MockOAuth2Server.GRAPH_AUDIENCE + "/.default"));
        String mailToken = engine.clientCredentials(app).accessToken();
        String graphToken = engine.clientCredentials(appGraph).accessToken();
        assertEquals(mailToken, engine.accessToken(app, VaultKey.SHARED));
        assertEquals(graphToken, engine.accessToken(appGraph, VaultKey.SHARED));
        assertEquals(Set.of("mail"), audience(mailToken));
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(graphToken));

        clock.advance(Duration.ofHours(2));
        String renewed = engine.accessToken(appGraph, VaultKey.SHARED);
        assertNotEquals(graphToken, renewed, "renewed by a new grant");
        assertEquals(Set.of(MockOAuth2Server.GRAPH_AUDIENCE), audience(renewed), "with Graph's scopes");
        assertEquals(Set.of("mail"), audience(engine.accessToken(app, VaultKey.SHARED)));
    }

    @Test
    void aResourceIsAShortWord() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mail.forResource(
                "Graph|x", List.of("s")));
        assertTrue(e.getMessage().contains("resource"), e.getMessage());
        OAuthClient g = mail.forResource(GRAPH, List.of("s"));
        assertEquals(List.of(mail.tokenUri(), mail.clientId(), List.of("s"), GRAPH), List.of(g.tokenUri(),
                g.clientId(), g.scopes(), g.resource()), "the same client, another resource's scopes");
    }
}
