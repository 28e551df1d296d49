package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.CredentialStatus.State;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.SignInKeeper.Actor;
import org.envoi.api.oauth.SignInKeeper.Lapse;
import org.envoi.api.oauth.SignInKeeper.Outcome;
import org.envoi.api.oauth.SignInKeeper.Renewal;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.SignInLifetime;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.oauth.internal.SignInKeeping;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Keeping sign-ins alive against a real OAuth2 server (mock-oauth2-server, rotating refresh tokens), with a provider
 * whose limits are minutes long and a clock the test moves: no waiting. The provider says 2 minutes of inactivity,
 * or 5 minutes from the sign-in for a flow whose app is "in testing" (as Google's 7 days).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SignInKeeperTest {

    private static final Duration LIMIT = Duration.ofMinutes(2);
    private static final Duration TESTING_LIMIT = Duration.ofMinutes(5);
    private static final String KEEP = "keep";
    private static final String TESTING = "testing";
    private static MockOAuth2Server server;

    @TempDir
    Path temp;

    private FileTokenVault vault;
    private MutableClock clock;
    private OAuthEngine engine;
    private MockOAuth2Server tokenServer;
    private final List<Flow> flows = new ArrayList<>();
    private final List<Throwable> browserFailures = new CopyOnWriteArrayList<>();

    /** A provider bundle's limits, minutes long; a flow setting says when its app is "in testing". */
    static final class MinutesProvider implements MailProvider {
        @Override
        public String id() {
            return "minutes";
        }

        @Override
        public String displayName() {
            return "Minutes (test)";
        }

        @Override
        public ProviderPreset preset() {
            throw new UnsupportedOperationException("the keeper needs no preset");
        }

        @Override
        public List<FieldProblem> validate(ProviderFields fields) {
            return List.of();
        }

        @Override
        public ProviderError explain(String error, String description) {
            return ProviderError.standard(error, description);
        }

        @Override
        public Optional<SignInLifetime> signInLifetime(Map<String, String> flowSettings) {
            return Optional.of("testing".equals(flowSettings.get("minutes.status"))
                    ? SignInLifetime.sinceSignIn(TESTING_LIMIT, "test", "Publish the test app.")
                    : SignInLifetime.inactivity(LIMIT, "test"));
        }
    }

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
        tokenServer = server;
        engine = new OAuthEngine(vault, id -> Optional.of(new MinutesProvider()), new OAuthOptions(Duration.ofSeconds(
                60), Duration.ofSeconds(5), 3, Duration.ofMillis(10), Duration.ofMillis(40)), clock, d -> { });
        flows.add(flow(KEEP, Map.of()));
        flows.add(flow(TESTING, Map.of("minutes.status", "testing")));
    }

    @AfterEach
    void noBrowserFailure() {
        assertEquals(List.of(), browserFailures, "the simulated browser failed");
    }

    private static Flow flow(String id, Map<String, String> settings) {
        return new Flow(id, id, FlowType.OAUTH2, "minutes", new ProviderFields("", "envoi-desktop", "", List.of(
                "openid", "offline_access"), ConsentHost.LOOPBACK, false), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "", Optional.empty(), 0,
                Optional.empty(), "smtp", settings);
    }

    private OAuthClient client(String flowId) {
        return new OAuthClient(flowId, "minutes", tokenServer.authorizationEndpoint("default"), tokenServer
                .tokenEndpoint("default"), Optional.empty(), "envoi-desktop", false, List.of("openid",
                        "offline_access"), Optional.empty(), Map.of());
    }

    private SignInKeeper keeper() {
        return new SignInKeeping(engine, vault, () -> List.copyOf(flows), id -> id.equals("minutes") ? Optional.of(
                new MinutesProvider()) : Optional.empty(), (flowId, operatorId, resource) -> client(flowId));
    }

    private void signIn(String flowId, String operator) {
        BrowserUser user = new BrowserUser(operator);
        engine.authorize(client(flowId), operator, new LoopbackConsentHandler(url -> {
            Thread t = new Thread(() -> {
                try {
                    user.signInAndReturn(url);
                } catch (Throwable e) {
                    browserFailures.add(e);
                }
            }, "test-browser");
            t.setDaemon(true);
            t.start();
        }), Duration.ofSeconds(20));
    }

    private ObjectNode stored(String flowId, String operator) throws Exception {
        return (ObjectNode) new ObjectMapper().readTree(vault.read(VaultKey.tokens(flowId, operator)).orElseThrow());
    }

    private byte[] fileOf(String flowId, String operator) throws Exception {
        return Files.readAllBytes(vault.fileFor(VaultKey.tokens(flowId, operator)));
    }

    private static Renewal renewal(SignInKeeper.Report r, String flowId, String operator) {
        return r.renewals().stream().filter(x -> x.flowId().equals(flowId) && x.operatorId().equals(operator))
                .findFirst().orElseThrow(() -> new AssertionError("no line for " + flowId + "/" + operator + " in "
                        + r));
    }

    private static Lapse lapse(List<Lapse> lapses, String flowId, String operator) {
        return lapses.stream().filter(x -> x.flowId().equals(flowId) && x.operatorId().equals(operator))
                .findFirst().orElseThrow(() -> new AssertionError("no lapse for " + flowId + "/" + operator + " in "
                        + lapses));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    @Test
    void refreshesTheSignInPastHalfItsLimitAndNotTheOther() throws Exception {
        signIn(KEEP, "alice");
        Instant aliceSignedIn = now();
        clock.advance(Duration.ofSeconds(70));
        signIn(KEEP, "bob");
        Instant bobSignedIn = now();
        clock.advance(Duration.ofSeconds(20)); // alice: 90 s without refresh (over half of 2 min), bob: 20 s
        String aliceRefresh = stored(KEEP, "alice").get("refresh").asText();
        byte[] bobBefore = fileOf(KEEP, "bob");

        long requests = engine.tokenRequests();
        SignInKeeper.Report report = keeper().keepAlive(clock.instant());

        assertEquals(Outcome.REFRESHED, renewal(report, KEEP, "alice").outcome(), report.toString());
        assertEquals(Outcome.NOT_DUE, renewal(report, KEEP, "bob").outcome(), report.toString());
        assertEquals(1, engine.tokenRequests() - requests, "one token request: alice's refresh");
        String rotated = stored(KEEP, "alice").get("refresh").asText();
        assertNotEquals(aliceRefresh, rotated, "the rotated refresh token is stored");
        CredentialStatus alice = engine.status(KEEP, "alice");
        assertEquals(Optional.of(now()), alice.lastRefresh(), "the limit starts again now");
        assertEquals(Optional.of(aliceSignedIn), alice.signedIn(), "a refresh is no sign-in");
        assertArrayEquals(bobBefore, fileOf(KEEP, "bob"), "bob's sign-in was not touched");

        // the stored token is the live one: the server rotated (the old one is dead), and a send still gets a token
        clock.advance(Duration.ofHours(2));
        engine.accessToken(client(KEEP), "alice");
        assertEquals(State.VALID, engine.status(KEEP, "alice").state());

        // a second call right after does nothing to alice
        clock.advance(Duration.ofSeconds(-7200));
        requests = engine.tokenRequests();
        assertEquals(Outcome.NOT_DUE, renewal(keeper().keepAlive(now()), KEEP, "alice").outcome());
        assertEquals(Outcome.REFRESHED, renewal(keeper().keepAlive(now().plusSeconds(200)), KEEP, "bob").outcome(),
                "bob is due once half of his limit has passed");
        assertTrue(engine.tokenRequests() - requests >= 1);
        assertEquals(bobSignedIn, engine.status(KEEP, "bob").signedIn().orElseThrow());
    }

    @Test
    void lapsesSayWhenAndWhoMustAct() {
        signIn(KEEP, "alice");
        Instant aliceLast = now();
        clock.advance(Duration.ofSeconds(30));
        signIn(TESTING, "carol");
        Instant carolSignedIn = now();
        clock.advance(Duration.ofSeconds(60));
        // a refresh does not extend a limit that counts from the sign-in
        engine.renew(client(TESTING), "carol", clock.instant());

        List<Lapse> lapses = keeper().lapses(clock.instant());

        Lapse alice = lapse(lapses, KEEP, "alice");
        assertEquals(Optional.of(aliceLast.plus(LIMIT)), alice.lapsesAt());
        assertTrue(alice.soon(), "within a week");
        assertFalse(alice.lapsed());
        assertEquals(Actor.OPERATOR, alice.who());
        assertTrue(alice.sentence().contains("operator 'alice'") && alice.sentence().contains(
                "envoi authorize --operator alice"), alice.sentence());

        Lapse carol = lapse(lapses, TESTING, "carol");
        assertEquals(Optional.of(carolSignedIn.plus(TESTING_LIMIT)), carol.lapsesAt(), "counted from the sign-in");
        assertEquals(Actor.OPERATOR, carol.who());
        assertTrue(carol.sentence().contains("Publish the test app."), carol.sentence());
        assertEquals(Outcome.NOT_RENEWABLE, renewal(keeper().keepAlive(clock.instant()), TESTING, "carol").outcome(),
                "refreshing would not help");
    }

    @Test
    void aRefusedRefreshAsksForASignInAndDeletesNothing() throws Exception {
        signIn(KEEP, "alice");
        String refresh = stored(KEEP, "alice").get("refresh").asText();
        assertEquals(200, OAuthHttp.post(server.revocationEndpoint("default"), "token_type_hint=refresh_token"
                + "&client_id=envoi-desktop&token=" + java.net.URLEncoder.encode(refresh,
                        java.nio.charset.StandardCharsets.UTF_8)));
        clock.advance(Duration.ofSeconds(61));

        Renewal r = renewal(keeper().keepAlive(clock.instant()), KEEP, "alice");

        assertEquals(Outcome.CONSENT_REQUIRED, r.outcome(), r.toString());
        assertEquals(State.CONSENT_REQUIRED, engine.status(KEEP, "alice").state(), "marked as a send would");
        assertEquals(refresh, stored(KEEP, "alice").get("refresh").asText(), "nothing deleted");
        Lapse lapse = lapse(keeper().lapses(clock.instant()), KEEP, "alice");
        assertTrue(lapse.lapsed() && lapse.soon(), lapse.toString());
        assertEquals(Actor.OPERATOR, lapse.who());
        assertTrue(lapse.sentence().contains("envoi authorize --operator alice"), lapse.sentence());
    }

    @Test
    void anUnreachableProviderIsTriedAgainLaterAndChangesNothing() throws Exception {
        try (MockOAuth2Server own = MockOAuth2Server.start(MockOAuth2Server.ROTATING)) {
            tokenServer = own;
            signIn(KEEP, "alice");
            byte[] before = fileOf(KEEP, "alice");
            own.stop();
            clock.advance(Duration.ofSeconds(61));

            Renewal r = renewal(keeper().keepAlive(clock.instant()), KEEP, "alice");

            assertEquals(Outcome.RETRY_LATER, r.outcome(), r.toString());
            assertArrayEquals(before, fileOf(KEEP, "alice"), "nothing changed");
            assertEquals(State.VALID, engine.status(KEEP, "alice").state());
        }
    }

    @Test
    void anEntryWrittenBeforeSignInTimesWereKeptStillReadsAndIsKeptAlive() throws Exception {
        signIn(KEEP, "alice");
        // as the first engine wrote it: no sign-in time, no client binding
        ObjectNode old = stored(KEEP, "alice");
        old.remove("signedIn");
        old.remove("clientId");
        old.remove("tokenUri");
        Instant written = now().minusSeconds(100);
        old.put("lastRefresh", written.getEpochSecond());
        vault.write(VaultKey.tokens(KEEP, "alice"), old.toString());

        CredentialStatus read = engine.status(KEEP, "alice");
        assertEquals(Optional.of(written), read.lastRefresh());
        assertEquals(Optional.of(written), read.signedIn(), "signed in at its stored time, the best known");
        assertEquals(Optional.of(written.plus(LIMIT)), lapse(keeper().lapses(clock.instant()), KEEP, "alice")
                .lapsesAt());

        assertEquals(Outcome.REFRESHED, renewal(keeper().keepAlive(clock.instant()), KEEP, "alice").outcome());
        assertEquals(Optional.of(now()), engine.status(KEEP, "alice").lastRefresh());
        assertEquals(Optional.of(written), engine.status(KEEP, "alice").signedIn());
    }
}
