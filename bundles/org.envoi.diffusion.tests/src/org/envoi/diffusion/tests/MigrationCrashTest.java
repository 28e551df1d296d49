package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.JdbcSettingsRepository;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The H2 migrations against real crashes and a real race: H2 commits each DDL statement on its own, so a process
 * halted inside a migration leaves half of it behind, and two processes opening an empty data folder at once both
 * start at version 0.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MigrationCrashTest {

    @TempDir(cleanup = CleanupMode.NEVER)
    Path temp;

    @AfterEach
    void tidy() {
        TestServers.deleteQuietly(temp); // H2 may touch a file a moment after the last process ends
    }

    @Test
    void aProcessHaltedAfterAnyStatementOfAnyMigrationStartsAgain() throws Exception {
        int crashes = 0;
        for (int at = 1;; at++) {
            Path file = temp.resolve("crash-" + at).resolve("envoi");
            Process child = child(file, "crash", Integer.toString(at));
            String said = firstLine(child);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ended");
            if (said != null && said.startsWith("DONE")) {
                assertEquals(0, child.exitValue());
                break;
            }
            assertTrue(said != null && said.startsWith("HALT"), () -> "the child halted inside the migrations: "
                    + said + " " + errors(file));
            assertEquals(3, child.exitValue(), said);
            crashes++;
            JdbcConnectionPool db = (JdbcConnectionPool) StoreComponent.h2(file);
            try {
                assertEquals(Migrations.SCHEMA_VERSION, Migrations.migrate(db), "after " + said);
                assertEquals(Migrations.SCHEMA_VERSION, schemaVersion(db), "after " + said);
                assertEquals(7, new JdbcSettingsRepository(db).mailSettings().size(),
                        "the seeded settings, each once, after " + said);
                JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
                long id = outbox.enqueue("f", "op", mail());
                assertEquals(List.of(id), outbox.claimDue(Instant.now().plusSeconds(1), 10).stream()
                        .map(c -> c.entry().id()).toList(), "the outbox works after " + said);
            } finally {
                db.dispose();
            }
        }
        assertTrue(crashes >= 22, "a crash after each of the migrations' statements: " + crashes);
    }

    @Test
    void twoProcessesOpeningAnEmptyFolderAtOnceBothComeUp() throws Exception {
        for (int round = 0; round < 3; round++) {
            Path file = temp.resolve("race-" + round).resolve("envoi");
            List<Process> children = new ArrayList<>();
            List<BufferedReader> outs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process p = child(file, "race", Integer.toString(i));
                children.add(p);
                outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
            }
            try {
                for (BufferedReader out : outs) {
                    assertEquals("READY", out.readLine(), () -> errors(file));
                }
                // round 0: both at once; then the second once the first is in the middle of its migrations
                go(children.get(0));
                List<String> first = new ArrayList<>();
                if (round > 0) {
                    for (String l = outs.get(0).readLine(); l != null && !l.equals("MIGRATING");
                            l = outs.get(0).readLine()) {
                        first.add(l);
                    }
                }
                go(children.get(1));
                for (int i = 0; i < 2; i++) {
                    List<String> lines = new ArrayList<>(i == 0 ? first : List.of());
                    for (String l = outs.get(i).readLine(); l != null; l = outs.get(i).readLine()) {
                        lines.add(l);
                        if (l.startsWith("UP ")) {
                            break;
                        }
                    }
                    int n = i;
                    int r = round;
                    assertTrue(lines.contains("UP " + Migrations.SCHEMA_VERSION), () -> "round " + r + ", process "
                            + n + " came up: " + lines + " " + errors(file));
                }
                for (Process p : children) {
                    go(p); // the line that ends it
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(0, p.exitValue());
                }
            } finally {
                children.forEach(Process::destroyForcibly);
            }
            JdbcConnectionPool db = (JdbcConnectionPool) StoreComponent.h2(file);
            try {
                assertEquals(Migrations.SCHEMA_VERSION, schemaVersion(db));
                assertEquals(7, new JdbcSettingsRepository(db).mailSettings().size(), "the seeds, once");
                assertEquals(2, new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file))
                        .list(10).size(), "each process queued its mail");
            } finally {
                db.dispose();
            }
        }
    }

    private static void go(Process p) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write("GO\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    private Process child(Path file, String mode, String arg) throws IOException {
        Files.createDirectories(file.getParent());
        return new ProcessBuilder(TestServers.java(), "-cp", TestServers.frameworkClassPath(MigrationCrashTest.class),
                MigrationChild.class.getName(), file.toString(), mode, arg)
                .redirectError(ProcessBuilder.Redirect.appendTo(file.resolveSibling("child.err").toFile())).start();
    }

    private static String firstLine(Process p) throws IOException {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            return out.readLine();
        }
    }

    private static String errors(Path file) {
        try {
            return Files.readString(file.resolveSibling("child.err"));
        } catch (IOException e) {
            return "(no error output)";
        }
    }

    private static int schemaVersion(DataSource db) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT MAX(version) FROM envoi_schema")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static OutgoingMail mail() {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", "a@example.com", List.of("b@example.com"),
                List.of(), List.of(), "after a crash", "Bonjour", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of());
    }
}
