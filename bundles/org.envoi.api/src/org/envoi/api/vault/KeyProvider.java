package org.envoi.api.vault;

import java.util.Optional;

/**
 * Supplies the vault's 256-bit master key: the OS keyring through Equinox secure storage on a desktop, a 0600 key
 * file or an environment variable on a server. Registered as services with {@code service.ranking}; the vault uses
 * the highest-ranked one that has a key.
 */
public interface KeyProvider {

    /** Short name shown to the administrator, for example "key file /home/erp/.envoi/vault.key". */
    String description();

    /**
     * The key, or empty when this provider has none to give here (variable unset, no keyring).
     *
     * @throws org.envoi.api.EnvoiException VAULT_ERROR when a key exists but cannot be used (bad length, file
     *         readable by others)
     */
    Optional<byte[]> masterKey();
}
