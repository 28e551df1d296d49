package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
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
            URI token = oauth.tokenEndpoint("default");
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
                for (Process p : desks) { // as close together as two writes go
                    OutputStream in = p.getOutputStream();
                    in.write("GO\n".getBytes(StandardCharsets.US_ASCII));
                    in.flush();
                }
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
                assertNotNull(said.get(0).get("TOKEN"), "desk 0 got a token: " + said.get(0));
                assertNotNull(said.get(1).get("TOKEN"), "desk 1 got a token: " + said.get(1));
                assertEquals(1, Integer.parseInt(said.get(0).get("REQUESTS")) + Integer.parseInt(said.get(1).get(
                        "REQUESTS")), "one token request for both desks: " + said);
                assertEquals(said.get(0).get("TOKEN"), said.get(1).get("TOKEN"), "both use the same new token");
                String newest = refreshToken(vault);
                assertNotEquals(firstRefresh, newest, "the rotated refresh token was stored");
            } finally {
                desks.forEach(Process::destroyForcibly);
                ((org.h2.jdbcx.JdbcConnectionPool) db).dispose();
            }
        }
    }

    private static String refreshToken(JdbcTokenVault vault) throws Exception {
        String json = vault.read(VaultKey.tokens("shared-box", VaultKey.SHARED)).orElseThrow();
        return new ObjectMapper().readTree(json).path("refresh").asText();
    }
}
