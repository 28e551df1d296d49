package org.envoi.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderRegistry;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Tracks every {@link MailProvider} service (the whiteboard pattern): a provider bundle installed or removed at run
 * time shows up or disappears here without a restart and without any change to the core.
 */
@Component(service = ProviderRegistry.class, immediate = true)
public final class ProviderRegistryService implements ProviderRegistry {

    private static final Logger LOG = System.getLogger(ProviderRegistryService.class.getName());

    /** Keyed by the provider's own id; one entry per registered service object. */
    private final Map<String, MailProvider> byId = new ConcurrentHashMap<>();
    private final ChangeListeners listeners = new ChangeListeners("provider-registry");

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addProvider(MailProvider provider, Map<String, Object> properties) {
        String id = provider.id();
        Object declared = properties.get(MailProvider.PROVIDER_ID);
        if (declared != null && !id.equals(declared)) {
            LOG.log(Level.WARNING, "Envoi provider service declares " + MailProvider.PROVIDER_ID + "=" + declared
                    + " but calls itself '" + id + "'; it is registered as '" + id + "'");
        }
        MailProvider previous = byId.putIfAbsent(id, provider);
        if (previous != null) {
            LOG.log(Level.WARNING, "Envoi provider '" + id + "' is installed twice; the first one stays in use");
            return;
        }
        LOG.log(Level.INFO, "Envoi provider registered: " + id + " (" + provider.displayName() + ")");
        fireChanged();
    }

    void removeProvider(MailProvider provider) {
        if (byId.remove(provider.id(), provider)) {
            LOG.log(Level.INFO, "Envoi provider removed: " + provider.id());
            fireChanged();
        }
    }

    @Override
    public List<MailProvider> providers() {
        return byId.values().stream()
                .sorted(Comparator.comparing(MailProvider::displayName, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }

    @Override
    public Optional<MailProvider> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(byId.get(id));
    }

    @Override
    public MailProvider require(String id) {
        return find(id).orElseThrow(() -> new EnvoiException(ErrorCode.PROVIDER_NOT_FOUND,
                "No provider '" + id + "' is installed; installed: "
                        + (byId.isEmpty() ? "none" : byId.keySet().stream().sorted().collect(Collectors.joining(", ")))
                        + ". Install its feature from the Envoi update site or pick another provider."));
    }

    @Override
    public AutoCloseable onChange(Runnable listener) {
        return listeners.add(listener);
    }

    private void fireChanged() {
        listeners.fire();
    }
}
