package org.envoi.vault.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.vault.internal.EnvironmentKeyProvider;
import org.envoi.vault.internal.KeyFileProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyProviderTest {

    @TempDir
    Path temp;

    @Test
    void environmentVariableMustHoldA256BitKey() {
        byte[] key = new byte[32];
        key[0] = 7;
        String b64 = Base64.getEncoder().encodeToString(key);
        assertArrayEquals(key, new EnvironmentKeyProvider(n -> b64).masterKey().orElseThrow());
        assertEquals(Optional.empty(), new EnvironmentKeyProvider(n -> null).masterKey());
        EnvoiException shortKey = assertThrows(EnvoiException.class,
                () -> new EnvironmentKeyProvider(n -> Base64.getEncoder().encodeToString(new byte[16])).masterKey());
        assertEquals(ErrorCode.VAULT_ERROR, shortKey.code());
        assertTrue(shortKey.getMessage().contains("ENVOI_VAULT_KEY") && shortKey.getMessage().contains("16 bytes"),
                shortKey.getMessage());
        EnvoiException notBase64 = assertThrows(EnvoiException.class,
                () -> new EnvironmentKeyProvider(n -> "not base64 !!").masterKey());
        assertTrue(notBase64.getMessage().contains("not base64"), notBase64.getMessage());
        assertTrue(!notBase64.getMessage().contains("not base64 !!"), "the value itself is never repeated");
    }

    @Test
    void keyFileIsCreatedPrivateAndReused() throws Exception {
        Path file = temp.resolve("data/vault.key");
        byte[] first = new KeyFileProvider(file).masterKey().orElseThrow();
        assertEquals(32, first.length);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals(first, new KeyFileProvider(file).masterKey().orElseThrow());
    }

    @Test
    void keyFileReadableByOthersIsRefused() throws Exception {
        Path file = temp.resolve("vault.key");
        new KeyFileProvider(file).masterKey();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        EnvoiException e = assertThrows(EnvoiException.class, () -> new KeyFileProvider(file).masterKey());
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void theVaultServiceRunsOnDeclarativeServices() {
        TokenVault vault = OsgiServices.get(OsgiServices.context(getClass()), TokenVault.class, null);
        VaultKey k = VaultKey.tokens("ds-test", "op");
        vault.write(k, "through the service");
        assertEquals(Optional.of("through the service"), vault.read(k));
        assertTrue(vault.delete(k));
    }
}
