package org.envoi.diffusion.internal;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;

/** From a stored flow to what the engine and the transports need: the OAuth client, the mailbox user, the logins. */
public final class FlowClients {

    static final String CUSTOM = "custom";

    private FlowClients() {
    }

    /** The OAuth client of an OAUTH2 flow, endpoints resolved from the provider's preset (tenant substituted). */
    public static OAuthClient client(Flow flow, ProviderRegistry providers) {
        return client(flow, providers, true);
    }

    /** @param confidential whether the client authenticates with a secret (a public client, e.g. device code, not) */
    static OAuthClient client(Flow flow, ProviderRegistry providers, TokenVault vault) {
        return client(flow, providers, vault.read(VaultKey.clientSecret(flow.id())).isPresent());
    }

    private static OAuthClient client(Flow flow, ProviderRegistry providers, boolean confidential) {
        if (flow.type() != FlowType.OAUTH2) {
            throw new IllegalArgumentException("flow " + flow.id() + " is not an OAuth2 flow");
        }
        Optional<URI> redirect = flow.oauth().redirectUri().isEmpty() ? Optional.empty()
                : Optional.of(URI.create(flow.oauth().redirectUri()));
        if (flow.providerId().equals(CUSTOM)) {
            return new OAuthClient(flow.id(), CUSTOM, flow.authorizationUri().orElseThrow(
                    () -> invalid("authorizationUri", "a custom flow needs its authorization endpoint")),
                    flow.tokenUri().orElseThrow(() -> invalid("tokenUri", "a custom flow needs its token endpoint")),
                    flow.deviceUri(), flow.oauth().clientId(), confidential, flow.oauth().scopes(), redirect, Map.of());
        }
        MailProvider provider = providers.require(flow.providerId());
        ProviderPreset p = provider.preset();
        String tenant = flow.oauth().tenant().isEmpty() ? p.defaultTenant().orElse("") : flow.oauth().tenant();
        return new OAuthClient(flow.id(), provider.id(), flow.authorizationUri().orElse(p.authorization().resolve(
                tenant)), flow.tokenUri().orElse(p.token().resolve(tenant)), flow.deviceUri().or(() -> p.device()
                        .map(d -> d.resolve(tenant))), flow.oauth().clientId(), confidential, flow.oauth().scopes(),
                redirect, p.authorizationParameters());
    }

    /** Whose tokens: the operator's, or the shared mailbox's for a generic flow. */
    static String tokenOwner(Flow flow, String operatorId) {
        return flow.generic() ? VaultKey.SHARED : operatorId;
    }

    /** The mailbox user given to SASL / LOGIN. */
    static String mailUser(Flow flow, String operatorEmail) {
        if (!flow.username().isEmpty()) {
            return flow.username();
        }
        return flow.genericAddress().orElse(operatorEmail);
    }

    /** The route a transport or a mailbox reader is given for this flow and operator. */
    static MailRoute route(Flow flow, String operatorId, String operatorEmail, ProviderRegistry providers,
            TokenService tokens, TokenVault vault) {
        return new MailRoute(flow, operatorId, mailUser(flow, operatorEmail), logins(flow, operatorId, operatorEmail,
                providers, tokens, vault));
    }

    static Logins logins(Flow flow, String operatorId, String operatorEmail, ProviderRegistry providers,
            TokenService tokens, TokenVault vault) {
        String user = mailUser(flow, operatorEmail);
        if (flow.type() == FlowType.OAUTH2) {
            return new TokenLogins(tokens, client(flow, providers, vault), tokenOwner(flow, operatorId), user,
                    Mechanism.XOAUTH2);
        }
        return new Logins() {
            @Override
            public MailLogin current() {
                String password = vault.read(new VaultKey(VaultKey.PASSWORD, flow.id(), VaultKey.SHARED)).orElseThrow(
                        () -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "password", "The flow '" + flow.name()
                                + "' has no password in the vault: enter the mailbox password in the flow.", null));
                return new MailLogin.Password(user, password);
            }

            @Override
            public void rejected(MailLogin login) {
                // a refused password stays refused: the administrator must correct it
            }
        };
    }

    static List<String> scopes(Flow flow) {
        return flow.oauth().scopes();
    }

    private static EnvoiException invalid(String field, String sentence) {
        return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, field, field + ": " + sentence, null);
    }

    /**
     * The file stores the flow uses ({@code files.large}, {@code files.copies}) whose token resource is not its
     * transport's: each needs a sign-in of its own. A store of the transport's resource (OneDrive beside Graph
     * sending) shares the flow's.
     */
    static List<FileStore> storesOfOtherResources(Flow flow, TransportRegistry transports) {
        String own = transports.transport(flow.transport()).map(MailTransport::resource).orElse("");
        List<FileStore> out = new java.util.ArrayList<>();
        for (String key : List.of(FileStore.LARGE_FILES, FileStore.KEEP_COPIES)) {
            java.util.Optional.ofNullable(flow.settings().get(key)).flatMap(transports::fileStore).filter(s -> !s
                    .resource().equals(own) && !out.contains(s)).ifPresent(out::add);
        }
        return out;
    }

    /**
     * The login a file store uses for a flow's operator: the flow's own when the store's resource is the transport's,
     * else the flow's client for the store's resource and scopes, a sign-in of its own
     * ({@code envoi authorize --resource NAME}).
     */
    static Logins storeLogins(Flow flow, String operatorId, String operatorEmail, FileStore store,
            TransportRegistry transports, ProviderRegistry providers, TokenService tokens, TokenVault vault) {
        if (flow.type() != FlowType.OAUTH2 || !storesOfOtherResources(flow, transports).contains(store)) {
            return logins(flow, operatorId, operatorEmail, providers, tokens, vault);
        }
        return new TokenLogins(tokens, client(flow, providers, vault).forResource(store.resource(), store.scopes(
                flow)), tokenOwner(flow, operatorId), mailUser(flow, operatorEmail), Mechanism.XOAUTH2);
    }
}
