package org.envoi.mail.internal;

import java.security.Provider;
import java.security.Security;
import java.util.Map;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslClientFactory;
import javax.security.sasl.SaslException;

import org.envoi.api.mail.MailLogin.Mechanism;

/**
 * Makes {@link BearerSaslClient} reachable through {@code javax.security.sasl.Sasl}, which is how Angus Mail's SASL
 * path finds mechanisms. Installed first among the JVM's security providers while the mail bundle runs, removed when
 * it stops. It answers only when the session carries a {@link SaslOutcome}, i.e. only for Envoi's own connections:
 * other code in the JVM keeps whatever XOAUTH2 client it had.
 */
final class EnvoiSaslProvider extends Provider {

    private static final long serialVersionUID = 1L;
    static final String NAME = "Envoi-SASL";

    EnvoiSaslProvider() {
        super(NAME, "1.0", "Envoi XOAUTH2 and OAUTHBEARER SASL clients");
        for (Mechanism m : Mechanism.values()) {
            putService(new Service(this, "SaslClientFactory", m.name(), Factory.class.getName(), null, null) {
                @Override
                public Object newInstance(Object constructorParameter) {
                    return new Factory();
                }
            });
        }
    }

    static synchronized void install() {
        if (Security.getProvider(NAME) == null) {
            Security.insertProviderAt(new EnvoiSaslProvider(), 1);
        }
    }

    /** Whether the provider is among the JVM's (the host may have switched it off: {@link SaslRegistration}). */
    static boolean installed() {
        return Security.getProvider(NAME) != null;
    }

    static synchronized void uninstall() {
        Security.removeProvider(NAME);
    }

    static final class Factory implements SaslClientFactory {

        @Override
        public SaslClient createSaslClient(String[] mechanisms, String authorizationId, String protocol,
                String serverName, Map<String, ?> props, CallbackHandler cbh) throws SaslException {
            Object o = props == null ? null : props.get(SaslOutcome.PROPERTY);
            if (!(o instanceof SaslOutcome outcome)) {
                return null;
            }
            for (String name : mechanisms) {
                Mechanism m;
                try {
                    m = Mechanism.valueOf(name);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                NameCallback user = new NameCallback("user");
                PasswordCallback token = new PasswordCallback("token", false);
                try {
                    cbh.handle(new Callback[] { user, token });
                } catch (Exception e) {
                    throw new SaslException("no credentials for " + name, e);
                }
                Object port = props.get(SaslOutcome.PROPERTY + ".port");
                return new BearerSaslClient(protocol, m, user.getName(), new String(token.getPassword()), serverName,
                        port instanceof Integer p ? p : 0, outcome);
            }
            return null;
        }

        @Override
        public String[] getMechanismNames(Map<String, ?> props) {
            return new String[] { Mechanism.XOAUTH2.name(), Mechanism.OAUTHBEARER.name() };
        }
    }
}
