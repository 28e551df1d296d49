package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.KeycloakDeviceUser;
import org.envoi.api.tests.servers.KeycloakServer;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** RFC 8628 device code against a real Keycloak: interval honoured, slow_down answered, tokens stored and refreshed. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DeviceCodeFlowTest {

    @TempDir
    static Path work;
    private static KeycloakServer keycloak;

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.shared(); // with ConfidentialClientTest: one start
    }

    @Test
    void deviceCodeSignInHonoursIntervalAndSlowDown() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        FileTokenVault vault = new FileTokenVault(work.resolve("vault"), key, "test key");
        MutableClock clock = new MutableClock();
        List<Duration> waits = new CopyOnWriteArrayList<>();
        // the first waits at the server's interval are cut short on purpose: polling too fast must earn a
        // slow_down, and the engine must then wait 5 s longer
        java.util.concurrent.atomic.AtomicInteger fastPolls = new java.util.concurrent.atomic.AtomicInteger();
        OAuthEngine engine = new OAuthEngine(vault, id -> Optional.empty(), OAuthOptions.DEFAULTS, clock, d -> {
            waits.add(d);
            if (d.equals(Duration.ofSeconds(1)) && fastPolls.incrementAndGet() <= 4) {
                Thread.sleep(50);
                return;
            }
            Thread.sleep(d.toMillis());
        });
        OAuthClient client = new OAuthClient("kc-device", "custom", keycloak.authorizationEndpoint(),
                keycloak.tokenEndpoint(), Optional.of(keycloak.deviceEndpoint()), KeycloakServer.CLIENT, false,
                List.of("openid", "offline_access"), Optional.empty(), Map.of());
        AtomicReference<String> shownCode = new AtomicReference<>();
        TokenSet tokens = engine.authorizeWithDeviceCode(client, "alice", (userCode, uri, complete, expires) -> {
            shownCode.set(userCode);
            assertTrue(uri.toString().startsWith("http://127.0.0.1:"), uri.toString());
            URI approve = complete.orElseThrow();
            // the operator approves on another device a moment later
            Thread phone = new Thread(() -> {
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    return;
                }
                new KeycloakDeviceUser().approve(approve, KeycloakServer.USER, KeycloakServer.PASSWORD);
            }, "phone");
            phone.setDaemon(true);
            phone.start();
        }, Duration.ofMinutes(2));

        assertTrue(shownCode.get().matches("[A-Z]{4}-[A-Z]{4}"), "a user code was shown: " + shownCode.get());
        assertTrue(tokens.refreshToken().isPresent());
        assertEquals(Duration.ofSeconds(1), waits.get(0), "the server's interval");
        assertTrue(waits.contains(Duration.ofSeconds(6)), "slow_down added 5 s to the interval: " + waits);
        assertEquals(CredentialStatus.State.VALID, engine.status("kc-device", "alice").state());

        clock.advance(Duration.ofMinutes(10));
        String refreshed = engine.accessToken(client, "alice");
        assertNotEquals(tokens.accessToken(), refreshed, "silent refresh after the device sign-in");
    }

    @Test
    void pollingNeverSleepsPastTheTimeLimit() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        FileTokenVault vault = new FileTokenVault(work.resolve("vault-limit"), key, "test key");
        MutableClock clock = new MutableClock();
        List<Duration> waits = new CopyOnWriteArrayList<>();
        OAuthEngine engine = new OAuthEngine(vault, id -> Optional.empty(), OAuthOptions.DEFAULTS, clock, d -> {
            waits.add(d);
            clock.advance(d);
            Thread.sleep(d.toMillis()); // Keycloak sees the real pace
        });
        OAuthClient client = new OAuthClient("kc-limit", "custom", keycloak.authorizationEndpoint(),
                keycloak.tokenEndpoint(), Optional.of(keycloak.deviceEndpoint()), KeycloakServer.CLIENT, false,
                List.of("openid"), Optional.empty(), Map.of());
        Duration limit = Duration.ofMillis(2500); // not a whole number of the server's 1 s interval
        // nobody approves: the engine must stop at its limit, not one interval after it
        EnvoiException e = assertThrows(EnvoiException.class, () -> engine.authorizeWithDeviceCode(client, "bob",
                (userCode, uri, complete, expires) -> {
                }, limit));
        assertEquals(ErrorCode.CONSENT_REQUIRED, e.code(), e.getMessage());
        Duration slept = waits.stream().reduce(Duration.ZERO, Duration::plus);
        assertEquals(limit, slept, "slept up to the limit and not past it: " + waits);
        assertTrue(e.getMessage().contains("2.5 s"), "names the limit: " + e.getMessage());
        assertEquals(CredentialStatus.State.NONE, engine.status("kc-limit", "bob").state());
    }
}
