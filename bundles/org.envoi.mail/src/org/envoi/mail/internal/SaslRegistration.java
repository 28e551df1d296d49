package org.envoi.mail.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Installs Envoi's SASL clients (a JVM-wide security provider) while the mail bundle is active, and removes them
 * after, unless the configuration {@value #PID} says {@code install=false}: a host that wants no change to its JVM's
 * security providers switches it off, and Envoi's XOAUTH2 logins then go through Angus Mail's own client.
 */
@Component(immediate = true, service = SaslRegistration.class, configurationPid = SaslRegistration.PID)
@Designate(ocd = SaslRegistration.Configuration.class)
public final class SaslRegistration {

    /** The configuration's PID (metatype: {@code OSGI-INF/metatype/org.envoi.mail.sasl.xml}). */
    public static final String PID = "org.envoi.mail.sasl";

    @ObjectClassDefinition(id = PID, name = "Envoi SASL provider", description = "Envoi's XOAUTH2 and OAUTHBEARER"
            + " SASL clients, installed as the JVM's first security provider while Envoi's mail bundle runs.")
    public @interface Configuration {

        @AttributeDefinition(name = "Install", description = "true (the product): install the provider; false: leave"
                + " the JVM's security providers alone (XOAUTH2 then uses Angus Mail's client, without the server's"
                + " JSON error; OAUTHBEARER flows need the provider).")
        boolean install() default true;
    }

    private boolean installed;

    @Activate
    void activate(Configuration configuration) {
        if (configuration.install()) {
            EnvoiSaslProvider.install();
            installed = true;
        }
    }

    @Deactivate
    void deactivate() {
        if (installed) {
            EnvoiSaslProvider.uninstall();
        }
    }

    /** For code that runs outside DS (tests constructing senders directly). */
    public static void ensureInstalled() {
        EnvoiSaslProvider.install();
    }
}
