package org.envoi.vault.equinox.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import javax.crypto.spec.PBEKeySpec;

import org.eclipse.equinox.security.storage.ISecurePreferences;
import org.eclipse.equinox.security.storage.SecurePreferencesFactory;
import org.eclipse.equinox.security.storage.provider.IProviderHints;
import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.envoi.vault.equinox.internal.SecureStorageKeyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * Issue 19.6: the desktop (the OS keyring reachable) and the command line (over SSH: no D-Bus session, no Secret
 * Service) on one data folder choose the same vault key, or the command line says where the key is and what to do,
 * changing nothing. Each side's choice is the vault's: the key providers by ranking, the first with a key; here the
 * keyring provider for the data folder of this test runtime ({@code envoi.data}), then the real key file provider
 * registered by {@code org.envoi.vault} on the same folder. The keyring is real Equinox secure storage in a file,
 * unlocked by a password as the Linux module unlocks it from the Secret Service; an unreachable keyring is the same file
 * opened with no password to be had, as Equinox opens it when its Linux module cannot reach the Secret Service.
 */
class KeyringAgreementTest {

    private static final UnaryOperator<String> SSH = name -> null; // no DBUS_SESSION_BUS_ADDRESS

    @TempDir
    Path temp;

    private Path data;
    private BundleContext context;
    private ServiceReference<KeyProvider> keyFileRef;
    private KeyProvider keyFile;

    @BeforeEach
    void dataFolder() throws Exception {
        context = FrameworkUtil.getBundle(KeyringAgreementTest.class).getBundleContext();
        data = Files.createDirectories(DataFolder.resolve(context::getProperty));
        clean();
        // the user's keyring exists, unlocked by the desktop session's password, and holds something else already
        ISecurePreferences keyring = keyring("session");
        keyring.node("some.other.application").put("password", "theirs", true);
        keyring.flush();
        for (ServiceReference<KeyProvider> r : context.getServiceReferences(KeyProvider.class, null)) {
            KeyProvider p = context.getService(r);
            if (p.description().startsWith("the key file")) {
                keyFileRef = r;
                keyFile = p;
            }
        }
        assertTrue(keyFile != null, "org.envoi.vault registers its key file provider");
    }

    @AfterEach
    void clean() throws IOException {
        if (keyFileRef != null) {
            context.ungetService(keyFileRef);
        }
        Files.deleteIfExists(data.resolve("vault.key"));
        Files.deleteIfExists(data.resolve(SecureStorageKeyProvider.MARKER));
    }

    private ISecurePreferences keyring(String password) throws Exception {
        Map<String, Object> options = new HashMap<>();
        options.put(IProviderHints.PROMPT_USER, Boolean.FALSE);
        if (password != null) {
            options.put(IProviderHints.DEFAULT_PASSWORD, new PBEKeySpec(password.toCharArray()));
        }
        return SecurePreferencesFactory.open(temp.resolve("secure_storage").toUri().toURL(), options);
    }

    /** The desktop's session: the keyring opens. */
    private byte[] desktopKey() {
        return choose(new SecureStorageKeyProvider(() -> keyring("session"), data, SSH), keyFile);
    }

    /**
     * A command over SSH: the keyring file is there, but no password provider can give its password (Equinox's Linux
     * module finds no session bus, no Secret Service), so Equinox refuses to read or write an encrypted entry.
     */
    private byte[] sshKey() {
        return choose(new SecureStorageKeyProvider(() -> keyring(null), data, SSH), keyFile);
    }

    /** As VaultComponent chooses: by ranking, the first provider that has a key; a provider's error stops it. */
    private static byte[] choose(KeyProvider keyring, KeyProvider file) {
        for (KeyProvider p : List.of(keyring, file)) {
            Optional<byte[]> key = p.masterKey();
            if (key.isPresent()) {
                return key.get();
            }
        }
        throw new AssertionError("no key");
    }

    @Test
    void aCommandInTheDesktopsSessionUsesTheDesktopsKeyringKey() {
        byte[] desktop = desktopKey();
        assertFalse(Files.exists(data.resolve("vault.key")), "the desktop keeps its key in the keyring, not in a file");
        assertArrayEquals(desktop, desktopKey(), "the same key at the next start, and for a command in its session");
    }

    @Test
    void aCommandWithoutTheKeyringSaysWhereTheKeyIsAndChangesNothing() throws Exception {
        desktopKey();
        List<String> before = listing(data);
        EnvoiException e = assertThrows(EnvoiException.class, this::sshKey);
        assertEquals(ErrorCode.VAULT_ERROR, e.code());
        String m = e.getMessage();
        assertTrue(m.contains(data.toString()) && m.contains("OS keyring") && m.contains("DBUS_SESSION_BUS_ADDRESS")
                && m.contains("desktop's session") && m.contains("ENVOI_VAULT_KEY"), m);
        assertEquals(before, listing(data), "no key file made, nothing changed in the data folder");
        assertArrayEquals(desktopKey(), desktopKey(), "the desktop's key is still there");
    }

    @Test
    void aDataFolderStartedByACommandKeepsItsKeyFileOnTheDesktop() {
        byte[] cli = sshKey();
        assertTrue(Files.exists(data.resolve("vault.key")), "without a keyring the command makes the key file");
        assertArrayEquals(cli, desktopKey(), "the desktop then uses the folder's key file, not a new keyring key");
        assertFalse(Files.exists(data.resolve(SecureStorageKeyProvider.MARKER)), "and puts nothing in the keyring");
        assertArrayEquals(cli, sshKey());
    }

    @Test
    void aKeyringThatDoesNotAnswerGivesANewFolderItsKeyFileInsteadOfHangingTheStart() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        // a keyring daemon waiting on a prompt nobody answers (seen with gnome-keyring and no prompter)
        KeyProvider hanging = new SecureStorageKeyProvider(() -> {
            never.await();
            return keyring("session");
        }, data, SSH, java.time.Duration.ofMillis(300));
        byte[] key = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> choose(hanging, keyFile), "the start does not wait on the keyring for ever");
        assertArrayEquals(key, sshKey(), "the folder's key file, which every later process uses");
        assertFalse(Files.exists(data.resolve(SecureStorageKeyProvider.MARKER)));
        never.countDown();
    }

    private static List<String> listing(Path folder) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(folder)) {
            s.sorted(Comparator.naturalOrder()).forEach(p -> {
                try {
                    out.add(folder.relativize(p) + " " + (Files.isRegularFile(p) ? Files.size(p) + " "
                            + Files.getLastModifiedTime(p) : "dir"));
                } catch (IOException e) {
                    out.add(p + " " + e);
                }
            });
        }
        return out;
    }
}
