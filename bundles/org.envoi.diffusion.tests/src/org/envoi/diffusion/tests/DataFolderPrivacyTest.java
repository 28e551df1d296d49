package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.StoreComponent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.FrameworkUtil;

/**
 * Another local user (a real second OS account) against the store's data folder, as an ERP embedding the store opens
 * it (this JVM runs with the usual umask 022, no start script): it can list or read nothing in it, and the database's
 * listener (H2's AUTO_SERVER, for the CLI beside the desktop) does not let it in with the old empty password even when
 * it is handed the listener's address and key.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DataFolderPrivacyTest {

    static final String OTHER = "envoi-other";

    @Test
    void anotherLocalUserReadsNothingAndCannotOpenTheDatabase() throws Exception {
        otherUser();
        Path pub = Files.createTempDirectory("envoi-privacy");
        Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString("rwxr-xr-x")); // reachable up to data/
        Path data = pub.resolve("data");
        JdbcConnectionPool db = (JdbcConnectionPool) StoreComponent.open(Map.of("envoi.data", data.toString())::get,
                Map.of());
        try {
            Path file = data.resolve("db/envoi");
            JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
            outbox.enqueue("f", "op", new OutgoingMail(UUID.randomUUID() + "@envoi.test", "a@example.com",
                    List.of("b@example.com"), List.of(), List.of(), "Facture 42", "Bonjour", false,
                    OutgoingMail.Priority.NORMAL, Optional.empty(), List.of(new Attachment("f.pdf",
                            "application/pdf", new byte[] { 1, 2, 3 }))));

            List<Path> all;
            try (Stream<Path> s = Files.walk(data)) {
                all = s.toList();
            }
            assertTrue(all.size() >= 5, "the database, its lock, the outbox and its mail: " + all);
            for (Path p : all) {
                Result r = Files.isDirectory(p) ? asOther("ls", p.toString()) : asOther("cat", p.toString());
                assertNotEquals(0, r.exit, () -> OTHER + " read " + p + ": " + r.out);
            }

            // handed the listener's address and key (as if it had read the lock file), with H2's own client
            Properties lock = new Properties();
            try (InputStream in = Files.newInputStream(file.resolveSibling("envoi.lock.db"))) {
                lock.load(in);
            }
            String port = lock.getProperty("server").replaceFirst(".*:", "");
            String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/" + lock.getProperty("id");
            Path h2 = publicCopyOfH2(pub);
            Result empty = asOther(TestServers.java(), "-cp", h2.toString(), "org.h2.tools.Shell", "-url", url,
                    "-user", "envoi", "-password", "", "-sql", "SELECT COUNT(*) FROM outbox");
            assertNotEquals(0, empty.exit, () -> OTHER + " opened the database with the empty password: " + empty.out);
            assertTrue(empty.out.contains("28000"), "refused for its password: " + empty.out);
            // the same client with the password from the owner-only file gets in: the password is what stops it
            String password = Files.readString(file.resolveSibling("envoi.password")).strip();
            Result owner = asOther(TestServers.java(), "-cp", h2.toString(), "org.h2.tools.Shell", "-url", url,
                    "-user", "envoi", "-password", password, "-sql", "SELECT COUNT(*) FROM outbox");
            assertEquals(0, owner.exit, owner.out);

            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(
                    "db"))));
        } finally {
            db.dispose();
            TestServers.deleteQuietly(pub);
        }
    }

    private record Result(int exit, String out) {
    }

    private static Result asOther(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", OTHER, "--"));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    /** H2's jar where the other user can read it (the test framework's copy is under root's home). */
    private static Path publicCopyOfH2(Path pub) throws IOException {
        String location = FrameworkUtil.getBundle(JdbcConnectionPool.class).getLocation().replaceFirst(
                "^initial@", "").replaceFirst("^reference:", "").replaceFirst("^file:", "");
        Path copy = pub.resolve("h2.jar");
        Files.copy(Path.of(location), copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        return copy;
    }

    /** A second OS account (created once; the tests run as root for Postfix anyway). */
    static void otherUser() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            TestServers.missing("root, to create the second OS user " + OTHER);
        }
        if (new ProcessBuilder("id", OTHER).start().waitFor() != 0) {
            Process add = new ProcessBuilder("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    OTHER).redirectErrorStream(true).start();
            String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, add.waitFor(), "useradd " + OTHER + ": " + out);
        }
    }
}
