package org.envoi.vault.equinox.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.eclipse.equinox.security.storage.ISecurePreferences;
import org.eclipse.equinox.security.storage.SecurePreferencesFactory;
import org.eclipse.equinox.security.storage.StorageException;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.osgi.service.component.annotations.Component;

/**
 * The desktop's master key, kept in Equinox secure storage, which the OS keyring protects where an Equinox keyring
 * module is installed (macOS Keychain, Windows DPAPI, libsecret). Created on first use. When secure storage cannot be
 * opened (a server with no keyring and no one to type a password) it gives no key, and the next provider is used.
 */
@Component(service = KeyProvider.class, property = "service.ranking:Integer=200")
public final class SecureStorageKeyProvider implements KeyProvider {

    static final String NODE = "org.envoi.vault";
    static final String ENTRY = "master-key";
    private static final Logger LOG = System.getLogger(SecureStorageKeyProvider.class.getName());

    private final Callable<ISecurePreferences> storage;

    public SecureStorageKeyProvider() {
        this(SecurePreferencesFactory::getDefault);
    }

    /** @param storage opens the secure storage to use (tests open one of their own) */
    public SecureStorageKeyProvider(Callable<ISecurePreferences> storage) {
        this.storage = storage;
    }

    @Override
    public String description() {
        return "Equinox secure storage (OS keyring)";
    }

    @Override
    public Optional<byte[]> masterKey() {
        ISecurePreferences root;
        try {
            root = storage.call();
        } catch (Exception e) {
            LOG.log(Level.INFO, "Envoi: Equinox secure storage is not available (" + e.getClass().getSimpleName()
                    + "); the vault key comes from another provider");
            return Optional.empty();
        }
        if (root == null) {
            return Optional.empty();
        }
        ISecurePreferences node = root.node(NODE);
        try {
            String stored = node.get(ENTRY, null);
            if (stored != null) {
                byte[] key = Base64.getDecoder().decode(stored);
                if (key.length != 32) {
                    throw new EnvoiException(ErrorCode.VAULT_ERROR, "the vault key in secure storage is not 256 bits:"
                            + " restore it, or remove the node " + NODE + " to start a new vault");
                }
                return Optional.of(key);
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            node.put(ENTRY, Base64.getEncoder().encodeToString(key), true);
            node.flush();
            return Optional.of(key);
        } catch (StorageException e) {
            // locked keyring, no password given: not fatal, another provider can give a key
            LOG.log(Level.INFO, "Envoi: secure storage refused the vault key (" + e.getErrorCode()
                    + "); the vault key comes from another provider");
            return Optional.empty();
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, "the vault key could not be saved in secure storage: "
                    + e.getMessage(), e);
        }
    }
}
