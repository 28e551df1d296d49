package org.envoi.oauth.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentTerminal;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.DeviceCodePrompt;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.TokenSet;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.vault.TokenVault;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The DS faces of the engine and of the consent hosts this bundle provides. */
public final class OAuthComponents {

    private OAuthComponents() {
    }

    /** The {@link TokenService}: {@link OAuthEngine} on the vault and the provider registry. */
    @Component(service = TokenService.class)
    public static final class Engine implements TokenService {
        private final OAuthEngine engine;

        @Activate
        public Engine(@Reference TokenVault vault, @Reference ProviderRegistry registry) {
            this.engine = new OAuthEngine(vault, registry::find, OAuthOptions.DEFAULTS, Clock.systemUTC(),
                    d -> Thread.sleep(d.toMillis()));
        }

        @Override
        public TokenSet authorize(OAuthClient client, String operatorId, ConsentHandler consent, Duration timeout) {
            return engine.authorize(client, operatorId, consent, timeout);
        }

        @Override
        public TokenSet authorizeWithDeviceCode(OAuthClient client, String operatorId, DeviceCodePrompt prompt,
                Duration timeout) {
            return engine.authorizeWithDeviceCode(client, operatorId, prompt, timeout);
        }

        @Override
        public TokenSet clientCredentials(OAuthClient client) {
            return engine.clientCredentials(client);
        }

        @Override
        public String accessToken(OAuthClient client, String operatorId) {
            return engine.accessToken(client, operatorId);
        }

        @Override
        public boolean renew(OAuthClient client, String operatorId, java.time.Instant refreshedBefore) {
            return engine.renew(client, operatorId, refreshedBefore);
        }

        @Override
        public void reject(OAuthClient client, String operatorId, String rejectedAccessToken) {
            engine.reject(client, operatorId, rejectedAccessToken);
        }

        @Override
        public CredentialStatus status(String flowId, String operatorId, String resource) {
            return engine.status(flowId, operatorId, resource);
        }

        @Override
        public List<String> resources(String flowId, String operatorId) {
            return engine.resources(flowId, operatorId);
        }

        @Override
        public boolean signOut(String flowId, String operatorId) {
            return engine.signOut(flowId, operatorId);
        }

        @Override
        public void clientChanged(OAuthClient previous, OAuthClient current) {
            engine.clientChanged(previous, current);
        }
    }

    /**
     * The {@link SignInKeeper}: the flows' stored sign-ins kept alive through this engine, each flow's client as
     * {@link FlowAdmin#signInTarget(String, String, String)} resolves it, each limit from the flow's provider.
     */
    @Component(service = SignInKeeper.class)
    public static final class Keeper implements SignInKeeper {
        private final SignInKeeping keeping;

        @Activate
        public Keeper(@Reference TokenService tokens, @Reference TokenVault vault, @Reference FlowRepository flows,
                @Reference FlowAdmin admin, @Reference ProviderRegistry registry) {
            this.keeping = new SignInKeeping(tokens, vault, flows::flows, registry::find, (flowId, operatorId,
                    resource) -> admin.signInTarget(flowId, operatorId, resource).client());
        }

        @Override
        public Report keepAlive(java.time.Instant now) {
            return keeping.keepAlive(now);
        }

        @Override
        public List<Lapse> lapses(java.time.Instant now) {
            return keeping.lapses(now);
        }
    }

    /** Consent in the system browser with the loopback listener. */
    @Component(service = ConsentHandler.class, property = ConsentHandler.CONSENT_HOST + "=loopback")
    public static final class Loopback extends LoopbackConsentHandler {
        public Loopback() {
            super(new SystemBrowser());
        }
    }

    /** Consent on a terminal: the URL on standard error, the redirected URL from standard input. */
    @Component(service = ConsentHandler.class, property = ConsentHandler.CONSENT_HOST + "=print")
    public static final class Print extends PrintConsentHandler {
        public Print() {
            super(System.err, new BufferedReader(new InputStreamReader(System.in, Charset.defaultCharset())));
        }
    }

    /** The printing host for a given terminal. */
    @Component(service = TerminalConsent.class, property = ConsentHandler.CONSENT_HOST + "=" + TerminalConsent.PRINT)
    public static final class TerminalPrint implements TerminalConsent {
        @Override
        public ConsentHandler open(ConsentTerminal terminal) {
            return new PrintConsentHandler(terminal.out(), terminal.in());
        }
    }

    /**
     * The loopback host for a given terminal: its browser, else the system browser with the address printed too, for
     * a machine where none opens.
     */
    @Component(service = TerminalConsent.class, property = ConsentHandler.CONSENT_HOST + "="
            + TerminalConsent.LOOPBACK)
    public static final class TerminalLoopback implements TerminalConsent {
        @Override
        public ConsentHandler open(ConsentTerminal terminal) {
            return new LoopbackConsentHandler(terminal.browser().orElseGet(() -> uri -> {
                terminal.out().println("Sign in in the browser that opens; if none opens, open this address: " + uri);
                terminal.out().flush();
                new SystemBrowser().accept(uri);
            }));
        }
    }

    /** For the local sandbox, whose authorization server approves at once: no terminal is used. */
    @Component(service = TerminalConsent.class, property = ConsentHandler.CONSENT_HOST + "="
            + TerminalConsent.FOLLOW_REDIRECT)
    public static final class TerminalFollowRedirect implements TerminalConsent {
        @Override
        public ConsentHandler open(ConsentTerminal terminal) {
            return new FollowRedirectConsentHandler();
        }
    }

}
