package org.envoi.diffusion.tests;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.vault.VaultKey;
import org.envoi.oauth.internal.OAuthEngine;
import org.envoi.oauth.internal.OAuthOptions;
import org.envoi.store.internal.StoreComponent;
import org.envoi.vault.internal.JdbcTokenVault;

/**
 * One desk of {@link SharedMailboxTwoDesksTest}: a separate JVM with its own OAuth engine on the shared PostgreSQL
 * vault. Waits for "GO" on standard input, asks for the shared mailbox's access token, prints what it got and how many
 * token requests it made. Arguments: JDBC URL, vault key (base64), authorization and token endpoints, flow id, clock
 * offset in seconds (the desk lives after the token's expiry).
 */
public final class SharedRefreshDesk {

    private SharedRefreshDesk() {
    }

    public static void main(String[] args) throws Exception {
        DataSource db = StoreComponent.postgresql(args[0], "envoi", "");
        JdbcTokenVault vault = new JdbcTokenVault(db, Base64.getDecoder().decode(args[1]));
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(Long.parseLong(args[5])));
        // a 30 s read time-out: the test holds the first token request while it looks at the other desk
        OAuthEngine engine = new OAuthEngine(vault, id -> Optional.empty(), new OAuthOptions(Duration.ofMinutes(5),
                Duration.ofSeconds(30), 3, Duration.ofMillis(10), Duration.ofMillis(40)), clock, d -> { });
        OAuthClient client = client(args[4], URI.create(args[2]), URI.create(args[3]));
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"GO".equals(in.readLine())) {
            return;
        }
        String token;
        try {
            token = engine.accessToken(client, VaultKey.SHARED);
        } catch (RuntimeException e) {
            System.out.println("ERROR " + e);
            System.out.println("REQUESTS " + engine.tokenRequests());
            System.out.flush();
            System.exit(1);
            return;
        }
        System.out.println("TOKEN " + token);
        System.out.println("REQUESTS " + engine.tokenRequests());
        System.out.flush();
        System.exit(0);
    }

    static OAuthClient client(String flowId, URI authorization, URI token) {
        return new OAuthClient(flowId, "custom", authorization, token, Optional.empty(), "envoi-desktop", false,
                List.of("openid", "offline_access"), Optional.empty(), Map.of());
    }
}
