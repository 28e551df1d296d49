package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.LoopbackConsentHandler;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.envoi.vault.internal.JdbcTokenVault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Two desks (two separate JVM processes) share a generic flow's mailbox through PostgreSQL. Its access token has
 * expired for both; they ask for it at the same moment: the row lock makes it one refresh at the real OAuth server
 * (which rotates refresh tokens), both get the same new access token, and the vault holds the newest refresh token.
 * The two refreshes are made to overlap: a relay in front of the OAuth server holds the first desk's token request
 * until the second desk is seen waiting on the vault's lock in PostgreSQL (or, without the lock, until its own token
 * request comes).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SharedMailboxTwoDesksTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    Path temp;

    @Test
    void twoDesksRefreshingAtOnceMakeOneTokenRequestAndShareTheNewestRefreshToken() throws Exception {
        try (PostgresServer pg = PostgresServer.start(temp.resolve("pg"));
                MockOAuth2Server oauth = MockOAuth2Server.start(MockOAuth2Server.ROTATING)) {
            String url = pg.createDatabase("desks");
            DataSource db = StoreComponent.postgresql(url, PostgresServer.USER, "");
            Migrations.migrate(db);
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            JdbcTokenVault vault = new JdbcTokenVault(db, key);
            URI auth = oauth.authorizationEndpoint("default");
            URI direct = oauth.tokenEndpoint("default");
            HoldingRelay relay = new HoldingRelay(direct.getPort());
            // every token request, the admin's sign-in included, goes through the relay: one token endpoint
            URI token = new URI(direct.getScheme(), null, direct.getHost(), relay.port(), direct.getPath(), null,
                    null);
            OAuthClient client = SharedRefreshDesk.client("shared-box", auth, token);
            OAuthEngine admin = new OAuthEngine(vault, id -> Optional.empty(), new OAuthOptions(Duration.ofMinutes(5),
                    Duration.ofSeconds(10), 3, Duration.ofMillis(10), Duration.ofMillis(40)), Clock.systemUTC(),
                    d -> { });
            BrowserUser user = new BrowserUser("factures");
            admin.authorize(client, VaultKey.SHARED, new LoopbackConsentHandler(u -> new Thread(
                    () -> user.signInAndReturn(u)).start()), Duration.ofSeconds(30));
            String firstRefresh = refreshToken(vault);

            List<Process> desks = new ArrayList<>();
            List<BufferedReader> outs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process p = new ProcessBuilder(TestServers.java(), "-cp", TestServers.frameworkClassPath(
                        SharedMailboxTwoDesksTest.class), SharedRefreshDesk.class.getName(), url,
                        Base64.getEncoder().encodeToString(key), auth.toString(), token.toString(), "shared-box",
                        "7200").redirectError(temp.resolve("desk" + i + ".err").toFile()).start();
                desks.add(p);
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8));
                outs.add(out);
            }
            try {
                for (int i = 0; i < 2; i++) {
                    assertEquals("READY", outs.get(i).readLine(), "desk " + i + " started; see desk" + i + ".err");
                }
                relay.arm();
                for (Process p : desks) { // as close together as two writes go
                    OutputStream in = p.getOutputStream();
                    in.write("GO\n".getBytes(StandardCharsets.US_ASCII));
                    in.flush();
                }
                assertTrue(relay.awaitHeld(60), "no desk asked the OAuth server for a token");
                // the first refresh is in flight: hold it until the other desk is at the lock or at the server
                String overlap = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // the desks time out at 30 s
                while (overlap == null && System.nanoTime() < deadline) {
                    if (relay.connections() > 1) {
                        overlap = "the second desk sent its own token request";
                    } else if (waitingOnTheVaultLock(db)) {
                        overlap = "the second desk waits on the vault's lock";
                    } else {
                        Thread.sleep(5);
                    }
                }
                relay.release();
                System.out.println("SharedMailboxTwoDesksTest: while the first refresh was held, " + overlap);
                assertNotNull(overlap, "while the first refresh was held, the second desk neither reached the vault's"
                        + " lock nor the OAuth server: the refreshes did not overlap");
                List<Map<String, String>> said = new ArrayList<>();
                for (BufferedReader out : outs) {
                    Map<String, String> lines = new HashMap<>();
                    for (String l = out.readLine(); l != null; l = out.readLine()) {
                        int sp = l.indexOf(' ');
                        if (sp > 0) {
                            lines.put(l.substring(0, sp), l.substring(sp + 1));
                        }
                    }
                    said.add(lines);
                }
                for (int i = 0; i < 2; i++) {
                    assertNotNull(said.get(i).get("TOKEN"), "desk " + i + " got no token (" + overlap + "): "
                            + said.get(i));
                }
                assertEquals(1, relay.connections(), "one token request reached the OAuth server (" + overlap + ")");
                assertEquals(1, Integer.parseInt(said.get(0).get("REQUESTS")) + Integer.parseInt(said.get(1).get(
                        "REQUESTS")), "one token request for both desks: " + said);
                assertEquals(said.get(0).get("TOKEN"), said.get(1).get("TOKEN"), "both use the same new token");
                String newest = refreshToken(vault);
                assertNotEquals(firstRefresh, newest, "the rotated refresh token was stored");
            } finally {
                relay.close();
                desks.forEach(Process::destroyForcibly);
                ((org.h2.jdbcx.JdbcConnectionPool) db).dispose();
            }
        }
    }

    /** Whether a session of this database waits for a row lock of {@code vault_lock} (another holds it). */
    private static boolean waitingOnTheVaultLock(DataSource db) throws Exception {
        try (Connection c = db.getConnection(); Statement st = c.createStatement(); ResultSet r = st.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND wait_event_type = 'Lock' AND query LIKE '%vault_lock%FOR UPDATE%'")) {
            r.next();
            return r.getInt(1) > 0;
        }
    }

    private static String refreshToken(JdbcTokenVault vault) throws Exception {
        String json = vault.read(VaultKey.tokens("shared-box", VaultKey.SHARED)).orElseThrow();
        return new ObjectMapper().readTree(json).path("refresh").asText();
    }
}
