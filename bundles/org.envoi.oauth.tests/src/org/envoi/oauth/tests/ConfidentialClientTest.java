package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.KeycloakDeviceUser;
import org.envoi.api.tests.servers.KeycloakServer;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client authentication against a server that checks it: Keycloak's confidential client refuses a token request
 * without its secret (mock-oauth2-server takes any). App-only access and a code exchange with the right secret get
 * tokens; a wrong or missing one gets a sentence naming the client secret, keeps what was stored, and never quotes a
 * secret.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConfidentialClientTest {

    private static final String WRONG_SECRET = "kc-wrong-secret-value";
    private static KeycloakServer keycloak;

    @TempDir
    Path temp;

    private FileTokenVault vault;
    private final MutableClock clock = new MutableClock();
    private OAuthEngine engine;
    private final LogCapture capture = new LogCapture();
    private final List<String> logged = capture.lines;
    private final List<Throwable> browserFailures = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.shared(); // with DeviceCodeFlowTest: one start
    }

    @BeforeEach
    void setUp() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        vault = new FileTokenVault(temp.resolve("vault"), key, "test key");
        engine = new OAuthEngine(vault, id -> Optional.empty(), OAuthOptions.DEFAULTS, clock,
                d -> Thread.sleep(d.toMillis()));
        capture.attach();
    }

    @AfterEach
    void tearDown() {
        capture.detach();
        assertEquals(List.of(), browserFailures, "the simulated browser failed");
        for (String line : logged) {
            assertFalse(line.contains(KeycloakServer.CONFIDENTIAL_SECRET) || line.contains(WRONG_SECRET),
                    "a client secret in the log: " + line);
        }
    }

    private static OAuthClient client(String flow, boolean confidential) {
        return new OAuthClient(flow, "custom", keycloak.authorizationEndpoint(), keycloak.tokenEndpoint(),
                Optional.empty(), KeycloakServer.CONFIDENTIAL_CLIENT, confidential, List.of("openid"),
                Optional.empty(), Map.of());
    }

    /** Alice signs in on Keycloak's page in a browser beside Envoi; Keycloak redirects to Envoi's listener. */
    private TokenSet signIn(OAuthClient c) {
        return engine.authorize(c, "alice", new LoopbackConsentHandler(url -> {
            Thread browser = new Thread(() -> {
                try {
                    new KeycloakDeviceUser().signIn(url, KeycloakServer.USER, KeycloakServer.PASSWORD);
                } catch (Throwable e) {
                    browserFailures.add(e);
                }
            }, "test-browser");
            browser.setDaemon(true);
            browser.start();
        }), Duration.ofSeconds(60));
    }

    /** The refusal names the flow's client secret and what to do, and quotes no secret. */
    private static void assertSecretRefused(EnvoiException e, String flow) {
        assertEquals(ErrorCode.INVALID_FLOW_DATA, e.code(), e.getMessage());
        assertEquals("clientSecret", e.field(), e.getMessage());
        String m = e.getMessage();
        assertTrue(m.contains("client secret") && m.contains("'" + flow + "'") && m.contains("enter"), m);
        for (String s : List.of(e.toString(), m)) {
            assertFalse(s.contains(KeycloakServer.CONFIDENTIAL_SECRET) || s.contains(WRONG_SECRET),
                    "a client secret in the error: " + s);
        }
    }

    @Test
    void appOnlyAccessNeedsTheRightSecretAndAWrongOrMissingOneLosesNothing() throws Exception {
        String flow = "kc-app";
        OAuthClient app = client(flow, true);
        vault.write(VaultKey.clientSecret(flow), KeycloakServer.CONFIDENTIAL_SECRET);
        TokenSet granted = engine.clientCredentials(app);
        assertFalse(granted.accessToken().isEmpty(), "Keycloak granted app-only access to the right secret");
        Path stored = vault.fileFor(VaultKey.tokens(flow, VaultKey.SHARED));
        byte[] before = Files.readAllBytes(stored);

        vault.write(VaultKey.clientSecret(flow), WRONG_SECRET); // an administrator's typo, or a rotated secret
        EnvoiException wrong = assertThrows(EnvoiException.class, () -> engine.clientCredentials(app));
        assertSecretRefused(wrong, flow);
        assertArrayEquals(before, Files.readAllBytes(stored), "the token granted before is kept as it was");
        assertEquals(Optional.of(WRONG_SECRET), vault.read(VaultKey.clientSecret(flow)),
                "the secret stays until the administrator replaces it");
        // Keycloak's 5-minute tokens are always inside the 5-minute renewal skew: asking for one grants again
        assertSecretRefused(assertThrows(EnvoiException.class, () -> engine.accessToken(app, VaultKey.SHARED)), flow);
        assertArrayEquals(before, Files.readAllBytes(stored), "and still keeps it");

        // a flow without a secret for a client that needs one: Envoi sends none, Keycloak refuses
        EnvoiException missing = assertThrows(EnvoiException.class, () -> engine.clientCredentials(
                client("kc-no-secret", false)));
        assertEquals(ErrorCode.INVALID_FLOW_DATA, missing.code(), missing.getMessage());
        assertEquals("clientSecret", missing.field(), missing.getMessage());
        assertTrue(missing.getMessage().contains("client secret"), missing.getMessage());
        assertTrue(vault.read(VaultKey.tokens("kc-no-secret", VaultKey.SHARED)).isEmpty(), "nothing stored");
    }

    @Test
    void aCodeExchangeNeedsTheRightSecretAndAWrongOneKeepsTheSignIn() throws Exception {
        String flow = "kc-code";
        OAuthClient c = client(flow, true);
        vault.write(VaultKey.clientSecret(flow), KeycloakServer.CONFIDENTIAL_SECRET);
        TokenSet first = signIn(c);
        assertTrue(first.refreshToken().isPresent(), "Keycloak exchanged the code for tokens");
        assertEquals(CredentialStatus.State.VALID, engine.status(flow, "alice").state());
        Path stored = vault.fileFor(VaultKey.tokens(flow, "alice"));
        byte[] before = Files.readAllBytes(stored);

        vault.write(VaultKey.clientSecret(flow), WRONG_SECRET);
        List<EnvoiException> refusals = new ArrayList<>();
        // a new sign-in: Keycloak accepts alice and issues a code, and refuses to exchange it
        refusals.add(assertThrows(EnvoiException.class, () -> signIn(c)));
        assertArrayEquals(before, Files.readAllBytes(stored), "the earlier sign-in is kept");
        // the silent refresh is refused too; that is no reason to ask alice to sign in again
        clock.advance(Duration.ofMinutes(10));
        refusals.add(assertThrows(EnvoiException.class, () -> engine.accessToken(c, "alice")));
        for (EnvoiException e : refusals) {
            assertSecretRefused(e, flow);
        }
        assertEquals(CredentialStatus.State.VALID, engine.status(flow, "alice").state(),
                "a wrong secret is not a dead sign-in");
        assertArrayEquals(before, Files.readAllBytes(stored), "the refresh token is kept as it was");

        // the administrator enters the right secret again: the kept refresh token works, nobody signs in
        vault.write(VaultKey.clientSecret(flow), KeycloakServer.CONFIDENTIAL_SECRET);
        String renewed = engine.accessToken(c, "alice");
        assertNotEquals(first.accessToken(), renewed, "refreshed with the kept refresh token");
        assertEquals(CredentialStatus.State.VALID, engine.status(flow, "alice").state());
    }
}
