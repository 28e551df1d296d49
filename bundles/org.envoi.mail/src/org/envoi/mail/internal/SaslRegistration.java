package org.envoi.mail.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** Installs Envoi's SASL clients while the mail bundle is active, and removes them after. */
@Component(immediate = true, service = SaslRegistration.class)
public final class SaslRegistration {

    @Activate
    void activate() {
        EnvoiSaslProvider.install();
    }

    @Deactivate
    void deactivate() {
        EnvoiSaslProvider.uninstall();
    }

    /** For code that runs outside DS (tests constructing senders directly). */
    public static void ensureInstalled() {
        EnvoiSaslProvider.install();
    }
}
