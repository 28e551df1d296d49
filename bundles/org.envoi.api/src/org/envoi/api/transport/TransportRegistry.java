package org.envoi.api.transport;

import java.util.List;
import java.util.Optional;

import org.envoi.api.files.FileStore;

/**
 * The transports, mailbox readers and file stores installed right now; bundles come and go at run time and the
 * registry follows them (like {@link org.envoi.api.provider.ProviderRegistry}).
 */
public interface TransportRegistry {

    /** Sorted by display name. */
    List<MailTransport> transports();

    Optional<MailTransport> transport(String id);

    /**
     * @throws org.envoi.api.EnvoiException {@code INVALID_FLOW_DATA} on field {@code transport}, naming the installed
     *         ones and the feature to install
     */
    MailTransport requireTransport(String id);

    List<MailboxReader> mailboxReaders();

    List<FileStore> fileStores();

    Optional<FileStore> fileStore(String id);

    /** Calls the listener after every change, on the thread that made it. @return closing it removes the listener */
    AutoCloseable onChange(Runnable listener);
}
