package org.envoi.diffusion.tests;

import java.nio.file.Path;

import javax.sql.DataSource;

import org.envoi.api.tests.servers.PostgresServer;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The same store contract on a real PostgreSQL (Debian's), as a shared multi-desk installation runs it. */
class PostgresStoreTest extends StoreContractTest {

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

    @Override
    protected DataSource freshDatabase() throws Exception {
        String url = postgres.createDatabase("contract" + (++databases));
        return StoreComponent.postgresql(url, PostgresServer.USER, "");
    }
}
