package org.envoi.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.MailboxReader;
import org.envoi.api.transport.TransportRegistry;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Tracks every {@link MailTransport}, {@link MailboxReader} and {@link FileStore} service (the whiteboard pattern, as
 * {@link ProviderRegistryService} for providers): a transport bundle installed from the update site is used without a
 * restart and without a change to the core or the pipeline.
 */
@Component(service = TransportRegistry.class, immediate = true)
public final class TransportRegistryService implements TransportRegistry {

    private static final Logger LOG = System.getLogger(TransportRegistryService.class.getName());

    private final Map<String, MailTransport> transports = new ConcurrentHashMap<>();
    private final Map<String, MailboxReader> readers = new ConcurrentHashMap<>();
    private final Map<String, FileStore> stores = new ConcurrentHashMap<>();
    private final ChangeListeners listeners = new ChangeListeners("transport-registry");

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addTransport(MailTransport t) {
        add("transport", transports, t.id(), t);
    }

    void removeTransport(MailTransport t) {
        remove("transport", transports, t.id(), t);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(MailboxReader r) {
        add("mailbox reader", readers, r.id(), r);
    }

    void removeReader(MailboxReader r) {
        remove("mailbox reader", readers, r.id(), r);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStore(FileStore s) {
        add("file store", stores, s.id(), s);
    }

    void removeStore(FileStore s) {
        remove("file store", stores, s.id(), s);
    }

    private <T> void add(String what, Map<String, T> byId, String id, T service) {
        if (byId.putIfAbsent(id, service) != null) {
            LOG.log(Level.WARNING, "Envoi " + what + " '" + id + "' is installed twice; the first one stays in use");
            return;
        }
        LOG.log(Level.INFO, "Envoi " + what + " registered: " + id);
        fireChanged();
    }

    private <T> void remove(String what, Map<String, T> byId, String id, T service) {
        if (byId.remove(id, service)) {
            LOG.log(Level.INFO, "Envoi " + what + " removed: " + id);
            fireChanged();
        }
    }

    @Override
    public List<MailTransport> transports() {
        return sorted(transports, MailTransport::displayName);
    }

    @Override
    public Optional<MailTransport> transport(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(transports.get(id));
    }

    @Override
    public MailTransport requireTransport(String id) {
        return transport(id).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "transport",
                "No transport '" + id + "' is installed; installed: " + (transports.isEmpty() ? "none"
                        : transports.keySet().stream().sorted().collect(Collectors.joining(", ")))
                        + ". Install its feature from the Envoi update site (category Transports) or choose another"
                        + " transport for the flow.", null));
    }

    @Override
    public List<MailboxReader> mailboxReaders() {
        return sorted(readers, MailboxReader::id);
    }

    @Override
    public List<FileStore> fileStores() {
        return sorted(stores, FileStore::displayName);
    }

    @Override
    public Optional<FileStore> fileStore(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(stores.get(id));
    }

    private static <T> List<T> sorted(Map<String, T> byId, Function<T, String> name) {
        return byId.values().stream().sorted(Comparator.comparing(name, String.CASE_INSENSITIVE_ORDER)).toList();
    }

    @Override
    public AutoCloseable onChange(Runnable listener) {
        return listeners.add(listener);
    }

    private void fireChanged() {
        listeners.fire();
    }
}
