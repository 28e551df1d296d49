package org.envoi.api.provider;

import java.util.List;
import java.util.Optional;

/**
 * The providers installed right now. Bundles come and go at run time (installed from the update site, or
 * uninstalled); the registry follows them without a restart.
 */
public interface ProviderRegistry {

    /** The installed providers, sorted by display name. */
    List<MailProvider> providers();

    Optional<MailProvider> find(String id);

    /**
     * @throws org.envoi.api.EnvoiException {@code PROVIDER_NOT_FOUND} naming the installed ones
     */
    MailProvider require(String id);

    /**
     * Calls the listener after every change (a provider added or removed), on the thread that made the change.
     *
     * @return closing it removes the listener
     */
    AutoCloseable onChange(Runnable listener);
}
