package org.envoi.oauth.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.tests.contract.MutableClock;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.vault.internal.FileTokenVault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints figures; asserts only what must hold whatever the machine's speed (one token request per expiry, however
 * many senders wait). Run alone: {@code ./mvnw -B verify -pl <modules> -Dtest=OAuthBenchmarkTest} (see README).
 */
class OAuthBenchmarkTest {

    @TempDir
    Path temp;

    @Test
    void printFigures() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        FileTokenVault vault = new FileTokenVault(temp.resolve("vault"), key, "bench key");
        MutableClock clock = new MutableClock();
        try (MockOAuth2Server server = MockOAuth2Server.start(MockOAuth2Server.ROTATING)) {
            OAuthEngine engine = new OAuthEngine(vault, id -> Optional.empty(), OAuthOptions.DEFAULTS, clock,
                    d -> Thread.sleep(d.toMillis()));
            OAuthClient client = new OAuthClient("bench", "custom", server.authorizationEndpoint("default"),
                    server.tokenEndpoint("default"), Optional.empty(), "envoi-bench", false,
                    List.of("openid", "offline_access"), Optional.empty(), Map.of());
            BrowserUser user = new BrowserUser("bench");
            engine.authorize(client, "op", new LoopbackConsentHandler(url -> new Thread(() -> user.signInAndReturn(url))
                    .start()), Duration.ofSeconds(20));

            for (int n : new int[] { 1, 10, 100 }) {
                clock.advance(Duration.ofHours(2));
                long before = engine.tokenRequests();
                ExecutorService pool = Executors.newFixedThreadPool(n);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> f = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    f.add(pool.submit(() -> {
                        go.await();
                        return engine.accessToken(client, "op");
                    }));
                }
                long t0 = System.nanoTime();
                go.countDown();
                for (Future<String> x : f) {
                    x.get(60, TimeUnit.SECONDS);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                pool.shutdown();
                long requests = engine.tokenRequests() - before;
                System.out.printf("BENCH oauth.single-flight senders=%d token_requests=%d wall_ms=%d%n", n, requests,
                        ms);
                assertEquals(1, requests, "one token request for " + n + " senders");
            }

            int calls = 2_000_000;
            for (int warm = 0; warm < 200_000; warm++) {
                engine.accessToken(client, "op");
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                engine.accessToken(client, "op");
            }
            double cachedUs = (System.nanoTime() - t0) / 1000.0 / calls;
            System.out.printf("BENCH oauth.cached-token us_per_call=%.3f calls=%d%n", cachedUs, calls);

            VaultKey k = VaultKey.tokens("bench", "op");
            int reads = 5_000;
            for (int i = 0; i < 500; i++) {
                vault.read(k);
            }
            t0 = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                vault.read(k);
            }
            double readUs = (System.nanoTime() - t0) / 1000.0 / reads;
            t0 = System.nanoTime();
            int writes = 500;
            String value = vault.read(k).orElseThrow();
            for (int i = 0; i < writes; i++) {
                vault.write(VaultKey.tokens("bench", "w"), value);
            }
            double writeUs = (System.nanoTime() - t0) / 1000.0 / writes;
            System.out.printf("BENCH vault.read us_per_call=%.1f reads=%d%n", readUs, reads);
            System.out.printf("BENCH vault.write-fsync us_per_call=%.1f writes=%d%n", writeUs, writes);
        }
    }
}
