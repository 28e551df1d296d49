package org.envoi.diffusion.tests;

import java.nio.file.Path;
import java.util.UUID;

import javax.sql.DataSource;

import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded H2 file database, as the desktop product runs it. */
class H2StoreTest extends StoreContractTest {

    @TempDir
    Path temp;

    @Override
    protected DataSource freshDatabase() {
        return StoreComponent.h2(temp.resolve(UUID.randomUUID().toString()).resolve("envoi"));
    }
}
