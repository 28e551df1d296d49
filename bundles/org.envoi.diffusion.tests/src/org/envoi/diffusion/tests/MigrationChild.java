package org.envoi.diffusion.tests;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.envoi.api.mail.OutgoingMail;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.Migrations;
import org.envoi.store.internal.StoreComponent;

/**
 * A separate JVM for {@link MigrationCrashTest}. Arguments: the H2 database file, then {@code crash N} (halts the JVM,
 * no shutdown hook, no finally, right after the N-th statement of the migrations ran: prints {@code HALT} first, or
 * {@code DONE} when the migrations have fewer statements) or {@code race} (prints {@code READY}, waits for {@code GO}
 * on standard input, opens and migrates the database slowly (prints {@code MIGRATING} at its first statement), queues a mail, prints {@code UP <version>}, ends at the next line on standard input).
 */
public final class MigrationChild {

    private MigrationChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        if (args[1].equals("crash")) {
            int at = Integer.parseInt(args[2]);
            int[] seen = { 0 };
            DataSource db = StoreComponent.h2(file);
            Migrations.migrate(db, (version, statement) -> {
                if (++seen[0] == at) {
                    System.out.println("HALT V" + version + " statement " + statement);
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            });
            System.out.println("DONE " + seen[0]);
            System.out.flush();
            System.exit(0);
        }
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"GO".equals(in.readLine())) {
            return;
        }
        DataSource db = StoreComponent.h2(file);
        // a slow migration (as one that rewrites many rows would be): the other process arrives in the middle of it
        boolean[] told = { false };
        int version = Migrations.migrate(db, (v, n) -> {
            if (!told[0]) {
                told[0] = true;
                System.out.println("MIGRATING");
                System.out.flush();
            }
            sleep(100);
        });
        JdbcOutboxStore outbox = new JdbcOutboxStore(db, Clock.systemUTC(), StoreComponent.outboxFolder(file));
        long id = outbox.enqueue("f", "op", new OutgoingMail(UUID.randomUUID() + "@envoi.test", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "race", "Bonjour", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of()));
        System.out.println("QUEUED " + id);
        System.out.println("UP " + version);
        System.out.flush();
        in.readLine(); // stays up until the other one is up too: the test is about starting, not H2's hand-over
        ((org.h2.jdbcx.JdbcConnectionPool) db).dispose();
        System.exit(0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
