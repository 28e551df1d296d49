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
 */
@Component(service = TokenVault.class)
public final class VaultComponent implements TokenVault {

    private static final Logger LOG = System.getLogger(VaultComponent.class.getName());

    private final List<Ranked> providers = new ArrayList<>();
    private FileTokenVault vault;

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
        for (Ranked r : providers) {
            Optional<byte[]> key = r.provider().masterKey();
            if (key.isPresent()) {
                vault = new FileTokenVault(DataFolder.resolve(context::getProperty).resolve("vault"), key.get(),
                        r.provider().description());
                LOG.log(Level.INFO, "Envoi vault " + vault.folder() + " opened with the key from "
                        + r.provider().description());
                return;
            }
        }
        throw new EnvoiException(ErrorCode.VAULT_ERROR, "no master key for the vault: set ENVOI_VAULT_KEY or let"
                + " Envoi create the key file in its data folder");
    }

    @Override
    public Optional<String> read(VaultKey key) {
        return vault.read(key);
    }

    @Override
    public void write(VaultKey key, String value) {
        vault.write(key, value);
    }

    @Override
    public boolean delete(VaultKey key) {
        return vault.delete(key);
    }

    @Override
    public List<VaultKey> keys(String flowId) {
        return vault.keys(flowId);
    }
}
