package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.store.internal.DatabaseSettings;
import org.envoi.store.internal.StoreComponent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The framework properties that choose a shared PostgreSQL: every mail is in its rows, so it is reached over TLS
 * unless it is on this machine (refused before any connection otherwise), and its password comes from the
 * environment or an owner-only file, never from a property other local users can read. The loopback database is a
 * real PostgreSQL.
 */
class SharedDatabaseSettingsTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static PostgresServer postgres;
    private static int databases;

    @BeforeAll
    static void start() {
        postgres = PostgresServer.start(temp.resolve("pg"));
    }

    @AfterAll
    static void stop() {
        if (postgres != null) {
            postgres.close();
        }
        TestServers.deleteQuietly(temp);
    }

    private static Map<String, String> properties(String url) {
        Map<String, String> p = new HashMap<>();
        p.put("envoi.data", temp.resolve("data").toString());
        p.put("envoi.db.url", url);
        p.put("envoi.db.user", PostgresServer.USER);
        return p;
    }

    private static DataSource open(Map<String, String> properties, Map<String, String> environment) throws Exception {
        return StoreComponent.open(properties::get, environment);
    }

    @Test
    void aDatabaseOnAnotherMachineWithoutTlsIsRefusedBeforeAnyConnection() throws Exception {
        InetAddress away = nonLoopbackAddress();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(away, 0));
            listener.configureBlocking(false);
            String url = "jdbc:postgresql://" + away.getHostAddress() + ":" + listener.socket().getLocalPort()
                    + "/envoi?loginTimeout=3";

            EnvoiException e = assertThrows(EnvoiException.class, () -> open(properties(url), Map.of()));
            assertEquals(ErrorCode.INVALID_INPUT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("envoi.db.url") && e.getMessage().contains("sslmode=verify-full")
                    && e.getMessage().contains(away.getHostAddress()), e.getMessage());
            // a connection attempt would have completed its handshake into the listener's queue before open returned
            assertNull(listener.accept(), "no connection reached " + away.getHostAddress());

            EnvoiException prefer = assertThrows(EnvoiException.class, () -> open(properties(url
                    + "&sslmode=prefer"), Map.of()));
            assertTrue(prefer.getMessage().contains("sslmode=prefer"), "prefer falls back to clear text: "
                    + prefer.getMessage());
            assertNull(listener.accept());

            // the detector sees a connection when one is made: allowed by its property, Envoi does connect
            Map<String, String> allowed = properties(url);
            allowed.put("envoi.db.allowInsecure", "true");
            assertThrows(Exception.class, () -> open(allowed, Map.of()), "nothing answers PostgreSQL there");
            try (SocketChannel came = listener.accept()) {
                assertNotNull(came, "envoi.db.allowInsecure=true lets the connection go");
            }
        }
    }

    @Test
    void aLoopbackDatabaseWithoutTlsIsUsed() throws Exception {
        JdbcConnectionPool db = (JdbcConnectionPool) open(properties(postgres.createDatabase("loop" + (++databases))),
                Map.of());
        try (var c = db.getConnection()) {
            assertTrue(c.isValid(5));
        } finally {
            db.dispose();
        }
    }

    @Test
    void aPasswordInAFrameworkPropertyIsRefusedWithWhereToPutIt() throws Exception {
        Map<String, String> p = properties(postgres.createDatabase("prop" + (++databases)));
        p.put("envoi.db.password", "s3cret-on-a-command-line");
        EnvoiException e = assertThrows(EnvoiException.class, () -> open(p, Map.of()));
        assertEquals(ErrorCode.INVALID_INPUT, e.code());
        assertTrue(e.getMessage().contains("envoi.db.password") && e.getMessage().contains("ENVOI_DB_PASSWORD")
                && e.getMessage().contains("envoi.db.passwordFile"), e.getMessage());
        assertFalse(e.toString().contains("s3cret"), "never the password itself");
    }

    @Test
    void aPasswordFileOtherUsersCanReadIsRefused() throws Exception {
        Path file = Files.writeString(temp.resolve("db-password-" + (++databases)), "s3cret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, String> p = properties(postgres.createDatabase("file" + databases));
        p.put("envoi.db.passwordFile", file.toString());
        EnvoiException e = assertThrows(EnvoiException.class, () -> open(p, Map.of()));
        assertEquals(ErrorCode.INVALID_INPUT, e.code());
        assertTrue(e.getMessage().contains("envoi.db.passwordFile") && e.getMessage().contains(file.toString())
                && e.getMessage().contains("chmod 600"), e.getMessage());
        assertFalse(e.toString().contains("s3cret"));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        JdbcConnectionPool db = (JdbcConnectionPool) open(p, Map.of());
        db.dispose();
    }

    @Test
    void tlsOrLoopbackIsReadFromTheUrlAsPostgreSqlJdbcReadsIt() {
        for (String ok : new String[] { "jdbc:postgresql://db.example.com/envoi?sslmode=verify-full",
                "jdbc:postgresql://db.example.com:5432/envoi?ApplicationName=x&sslmode=require",
                "jdbc:postgresql://db.example.com/envoi?ssl=true", "jdbc:postgresql://[::1]:5432/envoi",
                "jdbc:postgresql://127.0.0.2/envoi", "jdbc:postgresql://localhost/envoi", "jdbc:postgresql:envoi",
                "jdbc:postgresql:///envoi", "jdbc:postgresql://127.0.0.1:5432,[::1]:5433/envoi" }) {
            assertTrue(DatabaseSettings.from(properties(ok)::get, Map.of()).isPresent(), ok);
        }
        for (String refused : new String[] { "jdbc:postgresql://db.example.com/envoi",
                "jdbc:postgresql://192.0.2.7:5432/envoi?sslmode=disable",
                "jdbc:postgresql://db.example.com/envoi?ssl=true&sslmode=allow",
                "jdbc:postgresql://127.0.0.1:5432,db.example.com:5432/envoi",
                "jdbc:postgresql://localhost.example.com/envoi", "jdbc:postgresql://[2001:db8::1]/envoi" }) {
            EnvoiException e = assertThrows(EnvoiException.class, () -> DatabaseSettings.from(properties(
                    refused)::get, Map.of()), refused);
            assertEquals("envoi.db.url", e.field(), refused);
        }
        assertEquals("envoi.db.url", assertThrows(EnvoiException.class, () -> DatabaseSettings.from(properties(
                "jdbc:mysql://127.0.0.1/envoi")::get, Map.of())).field());
        assertTrue(DatabaseSettings.from(Map.of("envoi.data", "/tmp")::get, Map.of()).isEmpty(), "the embedded H2");
    }

    @Test
    void thePasswordComesFromTheEnvironmentElseAnOwnerOnlyFile() throws Exception {
        Path file = Files.writeString(temp.resolve("db-password-owner"), "from file\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> p = properties("jdbc:postgresql://127.0.0.1/envoi");
        p.put("envoi.db.passwordFile", file.toString());
        assertEquals("from file", DatabaseSettings.from(p::get, Map.of()).orElseThrow().password());
        assertEquals("from env", DatabaseSettings.from(p::get, Map.of("ENVOI_DB_PASSWORD", "from env")).orElseThrow()
                .password());
        assertFalse(DatabaseSettings.from(p::get, Map.of()).orElseThrow().toString().contains("from file"));
        p.put("envoi.db.passwordFile", temp.resolve("no-such-file").toString());
        assertEquals("envoi.db.passwordFile", assertThrows(EnvoiException.class, () -> DatabaseSettings.from(p::get,
                Map.of())).field());
    }

    /**
     * Against a cluster that checks passwords (scram-sha-256): the owner-only file's password opens the database; a
     * wrong one, or none, is INVALID_INPUT naming where the password came from (or where it goes), never the password.
     */
    @Test
    void aPasswordTheDatabaseRefusesIsNamedByItsSettingNeverShown() throws Exception {
        String right = "right-" + System.nanoTime();
        try (PostgresServer checked = PostgresServer.startWithPassword(temp.resolve("pg-scram"), right)) {
            Map<String, String> p = properties(checked.createDatabase("scram"));
            Path file = Files.writeString(temp.resolve("db-password-scram"), right + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            p.put("envoi.db.passwordFile", file.toString());
            JdbcConnectionPool db = (JdbcConnectionPool) open(p, Map.of());
            db.dispose();

            Files.writeString(file, "wrong-in-file\n");
            EnvoiException wrong = assertThrows(EnvoiException.class, () -> open(p, Map.of()));
            assertEquals(ErrorCode.INVALID_INPUT, wrong.code());
            assertEquals("envoi.db.passwordFile", wrong.field());
            assertTrue(wrong.getMessage().contains("refused the password of user 'envoi'") && wrong.getMessage()
                    .contains(file.toString()), wrong.getMessage());
            assertFalse(wrong.toString().contains("wrong-in-file") || wrong.toString().contains(right));

            p.remove("envoi.db.passwordFile");
            EnvoiException none = assertThrows(EnvoiException.class, () -> open(p, Map.of()));
            assertEquals(ErrorCode.INVALID_INPUT, none.code());
            assertTrue(none.getMessage().contains("none was given") && none.getMessage().contains(
                    "ENVOI_DB_PASSWORD"), none.getMessage());
        }
    }

    /** The machine's address on a real interface (a listener there is reached without the loopback). */
    private static InetAddress nonLoopbackAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a;
                }
            }
        }
        TestServers.missing("a network interface other than the loopback, to listen where the database would be");
        throw new IllegalStateException("unreachable");
    }
}
