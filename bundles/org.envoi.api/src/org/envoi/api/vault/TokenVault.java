package org.envoi.api.vault;

import java.util.List;
import java.util.Optional;

/**
 * Encrypted storage for tokens, client secrets and passwords. Every write is atomic: after a crash an entry holds
 * either its old or its new value, never a mix. Implementations are thread-safe.
 * <p>
 * Failures throw {@link org.envoi.api.EnvoiException} with {@link org.envoi.api.ErrorCode#VAULT_ERROR}; their
 * messages name the entry (kind, flow, operator) and never carry a value.
 */
public interface TokenVault {

    Optional<String> read(VaultKey key);

    void write(VaultKey key, String value);

    /** @return true if there was an entry */
    boolean delete(VaultKey key);

    /** The keys of the entries of one flow. */
    List<VaultKey> keys(String flowId);

    /**
     * Runs {@code work} holding the entry's lock against every process that shares this vault: a read, a refresh and
     * the write of its result happen as one step, so two desks refreshing a shared mailbox at once make one token
     * request and both end with the newest refresh token. A vault only one process uses needs no lock (the default).
     */
    default <T> T withLock(VaultKey key, java.util.function.Supplier<T> work) {
        return work.get();
    }
}
