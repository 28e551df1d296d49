package org.envoi.vault.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.vault.KeyProvider;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The vault service: {@link FileTokenVault} in {@code <data>/vault}, keyed by the highest-ranked {@link KeyProvider}
 * that has a key (environment variable, then OS keyring, then key file).
 * <p>
 * A vault that cannot be opened (a damaged or wrong key, an unreadable folder) does not stop the service: everything
 * that needs no secret goes on, and each use of the vault fails at once with the reason ({@code VAULT_ERROR}), which
 * names the key's source and what to do. Nothing is written with a key that does not open the vault.
 */
@Component(service = TokenVault.class)
public final class VaultComponent implements TokenVault {

    private static final Logger LOG = System.getLogger(VaultComponent.class.getName());

    private final List<Ranked> providers = new ArrayList<>();
    private FileTokenVault vault;
    /** Why the vault could not be opened; then every use throws it. */
    private EnvoiException unavailable;
    /** Present when the store is a shared database: the flow-wide entries (a generic flow's mailbox) live there. */
    private JdbcTokenVault shared;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY,
            target = "(envoi.db.shared=true)")
    private javax.sql.DataSource sharedDatabase;

    private record Ranked(KeyProvider provider, int ranking) {
    }

    @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE, policyOption = ReferencePolicyOption.GREEDY)
    void addKeyProvider(KeyProvider provider, Map<String, Object> properties) {
        Object r = properties.get("service.ranking");
        providers.add(new Ranked(provider, r instanceof Integer i ? i : 0));
    }

    @Activate
    void activate(BundleContext context) {
        providers.sort(Comparator.comparingInt(Ranked::ranking).reversed());
        String source = providers.isEmpty() ? "no key provider" : providers.get(0).provider().description();
        try {
            for (Ranked r : providers) {
                source = r.provider().description();
                Optional<byte[]> key = r.provider().masterKey();
                if (key.isPresent()) {
                    vault = new FileTokenVault(DataFolder.resolve(context::getProperty).resolve("vault"), key.get(),
                            source);
                    LOG.log(Level.INFO, "Envoi vault " + vault.folder() + " opened with the key from " + source);
                    if (sharedDatabase != null) {
                        shared = new JdbcTokenVault(sharedDatabase, key.get());
                        LOG.log(Level.INFO, "Envoi keeps the flow-wide vault entries in the shared database");
                    }
                    return;
                }
            }
            throw new EnvoiException(ErrorCode.VAULT_ERROR, "no master key for the vault: set ENVOI_VAULT_KEY or let"
                    + " Envoi create the key file in its data folder");
        } catch (RuntimeException e) {
            vault = null;
            shared = null;
            String why = e instanceof EnvoiException ee ? ee.getMessage() : e.toString();
            unavailable = new EnvoiException(ErrorCode.VAULT_ERROR, null, "The token vault cannot be opened with the"
                    + " key from " + source + " (" + why + "). Restore the key from your backup (ENVOI_VAULT_KEY, the"
                    + " key file vault.key in the data folder, or the keyring), then run the command again; nothing"
                    + " was read or written. What needs no secret still works.", null);
            LOG.log(Level.ERROR, unavailable.getMessage());
        }
    }

    private FileTokenVault vault() {
        if (vault == null) {
            throw new EnvoiException(ErrorCode.VAULT_ERROR, null, unavailable.getMessage(), null);
        }
        return vault;
    }

    /** Flow-wide entries (operator {@code *}) go to the shared database when there is one; the rest stays local. */
    private TokenVault of(VaultKey key) {
        FileTokenVault local = vault();
        return shared != null && VaultKey.SHARED.equals(key.operatorId()) ? shared : local;
    }

    @Override
    public Optional<String> read(VaultKey key) {
        return of(key).read(key);
    }

    @Override
    public void write(VaultKey key, String value) {
        of(key).write(key, value);
    }

    @Override
    public boolean delete(VaultKey key) {
        return of(key).delete(key);
    }

    @Override
    public List<VaultKey> keys(String flowId) {
        List<VaultKey> out = new ArrayList<>(vault().keys(flowId));
        if (shared != null) {
            out.addAll(shared.keys(flowId));
        }
        return out;
    }

    @Override
    public <T> T withLock(VaultKey key, java.util.function.Supplier<T> work) {
        return of(key).withLock(key, work);
    }
}
