package org.envoi.vault.equinox.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import javax.crypto.spec.PBEKeySpec;

import org.eclipse.equinox.security.storage.ISecurePreferences;
import org.eclipse.equinox.security.storage.SecurePreferencesFactory;
import org.eclipse.equinox.security.storage.provider.IProviderHints;
import org.envoi.vault.equinox.internal.SecureStorageKeyProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against real Equinox secure storage in a file of the test's own, unlocked by a password as the OS keyring module
 * would unlock it on a desktop.
 */
class SecureStorageKeyProviderTest {

    private static final java.util.function.UnaryOperator<String> NO_ENV = name -> null;

    @TempDir
    Path temp;

    private ISecurePreferences open(Path file, String password) throws Exception {
        Map<String, Object> options = new HashMap<>();
        options.put(IProviderHints.PROMPT_USER, Boolean.FALSE);
        if (password != null) { // null: no password to be had (a locked keyring, no Secret Service)
            options.put(IProviderHints.DEFAULT_PASSWORD, new PBEKeySpec(password.toCharArray()));
        }
        return SecurePreferencesFactory.open(file.toUri().toURL(), options);
    }

    @Test
    void keyIsCreatedOnceKeptEncryptedAndGivenBack() throws Exception {
        Path file = temp.resolve("secure_storage");
        byte[] first = new SecureStorageKeyProvider(() -> open(file, "pw"), temp.resolve("data"), NO_ENV).masterKey().orElseThrow();
        assertEquals(32, first.length);
        String onDisk = Files.readString(file);
        assertFalse(onDisk.contains(Base64.getEncoder().encodeToString(first)), "encrypted in the storage file");
        byte[] again = new SecureStorageKeyProvider(() -> open(file, "pw"), temp.resolve("data"), NO_ENV).masterKey().orElseThrow();
        assertArrayEquals(first, again, "the same key after a restart");
    }

    @Test
    void unavailableStorageGivesNoKeySoTheNextProviderIsUsed() throws Exception {
        assertEquals(Optional.empty(), new SecureStorageKeyProvider(() -> {
            throw new java.io.IOException("no keyring");
        }, temp.resolve("data"), NO_ENV).masterKey());
        Path file = temp.resolve("locked");
        new SecureStorageKeyProvider(() -> open(file, "right"), temp.resolve("data"), NO_ENV).masterKey().orElseThrow();
        assertTrue(new SecureStorageKeyProvider(() -> open(file, null), temp.resolve("data2"), NO_ENV).masterKey().isEmpty(),
                "a storage that will not open (locked keyring) gives a new data folder no key and no exception");
    }
}
