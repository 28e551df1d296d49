package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

import org.envoi.api.tests.servers.CuttingProxy;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two desks on one shared PostgreSQL as README sets them up: the product's own script, {@code envoi.db.url} and
 * {@code envoi.db.user} as framework properties (through {@code ENVOI_VMARGS}), the password in
 * {@code ENVOI_DB_PASSWORD}, against a cluster that checks it (scram-sha-256). One desk queues a mail while the SMTP
 * server is down, the row is in PostgreSQL, the other desk (its own data folder) sends it; a wrong password stops
 * the command with a line naming the setting, never the password.
 */
class SharedDatabaseProductTest {

    @TempDir
    Path temp;

    @Test
    void twoDesksShareTheOutboxThroughAPasswordCheckedPostgreSql() throws Exception {
        String password = random();
        String key = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
        try (PostgresServer pg = PostgresServer.startWithPassword(temp.resolve("pg"), password);
                MailPeers peers = MailPeers.start(temp.resolve("mail"))) {
            String url = pg.createDatabase("desks");
            Map<String, String> desk = Map.of("ENVOI_VMARGS", "-Denvoi.db.url=" + url + " -Denvoi.db.user="
                    + PostgresServer.USER, "ENVOI_DB_PASSWORD", password, "ENVOI_VAULT_KEY", key);
            Path product = BuiltProduct.linuxProduct();
            Path deskA = temp.resolve("desk-a");
            Path deskB = temp.resolve("desk-b");
            int down = TestServers.freePort(); // nothing listens there yet: the SMTP server is down

            BuiltProduct.Run flow = BuiltProduct.runWithInput(product, deskA, desk, MailServers.CAROL_PASSWORD
                    + "\n", "flow", "add", "shared", "--provider", "custom", "--type", "basic", "--smtp", "127.0.0.1:"
                            + down, "--smtp-security", "none", "--username", "carol", "--password-stdin");
            assertEquals(0, flow.code(), flow.out() + flow.err());
            assertEquals(0, BuiltProduct.run(product, deskA, desk, "operator", "add", "carol", "--email", MailServers
                    .address("carol"), "--flow", "shared").code());
            BuiltProduct.Run queued = BuiltProduct.run(product, deskA, desk, "send", "--operator", "carol", "--to",
                    MailServers.address("carol"), "--subject", "through the shared database", "--body", "b");
            assertEquals(0, queued.code(), queued.out() + queued.err());
            assertTrue(queued.out().matches("(?s)mail \\d+ queued \\(RETRY.*"), "desk A could not send: "
                    + queued.out());
            String id = queued.out().split(" ")[1];
            assertEquals("RETRY|through the shared database", pg.query("desks", "SELECT state, subject FROM outbox"
                    + " WHERE id = " + Long.parseLong(id)), "the mail is a row of the shared PostgreSQL");
            assertFalse(Files.exists(deskA.resolve("db/envoi.mv.db")), "desk A opened no H2 database of its own");

            long before = peers.servers.delivered("carol");
            try (CuttingProxy up = CuttingProxy.relay(down, peers.servers.smtpPort)) { // the server is back
                BuiltProduct.Run sent = BuiltProduct.run(product, deskB, desk, "outbox", "retry", id, "--wait",
                        "--wait-seconds", "60");
                assertEquals(0, sent.code(), sent.out() + sent.err());
                assertTrue(sent.out().matches("(?s)mail " + id + " sent <.+>: 250.*"), "desk B sent desk A's mail: "
                        + sent.out());
                peers.awaitDelivered("carol", before + 1);
            }
            assertEquals("SENT", pg.query("desks", "SELECT state FROM outbox WHERE id = " + Long.parseLong(id)));

            String wrong = random();
            Path deskC = temp.resolve("desk-c");
            BuiltProduct.Run refused = BuiltProduct.run(product, deskC, Map.of("ENVOI_VMARGS", desk.get(
                    "ENVOI_VMARGS"), "ENVOI_DB_PASSWORD", wrong, "ENVOI_VAULT_KEY", key), "outbox", "list");
            assertEquals(4, refused.code(), refused.out() + refused.err());
            assertEquals(1, refused.err().strip().lines().count(), "one line: " + refused.err());
            assertTrue(refused.err().startsWith("INVALID_INPUT: ") && refused.err().contains("ENVOI_DB_PASSWORD")
                    && refused.err().contains(PostgresServer.USER), "names the setting and the user: "
                            + refused.err());
            String everything = refused.out() + refused.err() + logs(deskC);
            assertFalse(everything.contains(wrong) || everything.contains(password), "never the password: "
                    + everything);
        }
    }

    private static String logs(Path data) throws Exception {
        StringBuilder all = new StringBuilder();
        if (Files.isDirectory(data.resolve("logs"))) {
            try (Stream<Path> s = Files.list(data.resolve("logs"))) {
                for (Path f : s.toList()) {
                    all.append(Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
            }
        }
        return all.toString();
    }

    private static String random() {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return "pw-" + HexFormat.of().formatHex(b);
    }
}
