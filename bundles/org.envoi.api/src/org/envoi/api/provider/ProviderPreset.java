package org.envoi.api.provider;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a provider fills in for the administrator: endpoints, scopes per capability, mail servers and the consent
 * host that works best with it. Only client ID, secret and tenant are left to type.
 *
 * @param authorization authorization endpoint
 * @param token token endpoint
 * @param device device-authorization endpoint (RFC 8628), empty when the provider has none
 * @param scopes scopes per capability, in the order they are requested
 * @param appOnlyScope the scope of the client-credentials grant (app-only access), empty when unsupported
 * @param smtp default SMTP server
 * @param imap default IMAP server
 * @param pop default POP3 server, empty when the provider has none
 * @param defaultTenant the tenant used when the flow gives none, empty when a tenant must be typed or is unused
 * @param consentHost the consent host that works with this provider by default
 * @param authorizationParameters extra query parameters of the authorization request (Google needs
 *        {@code access_type=offline} to return a refresh token)
 */
public record ProviderPreset(EndpointTemplate authorization, EndpointTemplate token, Optional<EndpointTemplate> device,
        Map<MailCapability, List<String>> scopes, Optional<String> appOnlyScope, ServerEndpoint smtp,
        ServerEndpoint imap, Optional<ServerEndpoint> pop, Optional<String> defaultTenant, ConsentHost consentHost,
        Map<String, String> authorizationParameters) {

    public ProviderPreset {
        Objects.requireNonNull(authorization, "authorization");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(appOnlyScope, "appOnlyScope");
        Objects.requireNonNull(smtp, "smtp");
        Objects.requireNonNull(imap, "imap");
        Objects.requireNonNull(pop, "pop");
        Objects.requireNonNull(defaultTenant, "defaultTenant");
        Objects.requireNonNull(consentHost, "consentHost");
        EnumMap<MailCapability, List<String>> copy = new EnumMap<>(MailCapability.class);
        scopes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        scopes = java.util.Collections.unmodifiableMap(copy);
        authorizationParameters = Map.copyOf(authorizationParameters);
    }

    /** The scopes to request for these capabilities, without duplicates, in capability order. */
    public List<String> scopesFor(Collection<MailCapability> capabilities) {
        Set<String> out = new LinkedHashSet<>();
        for (MailCapability c : MailCapability.values()) {
            if (capabilities.contains(c)) {
                out.addAll(scopes.getOrDefault(c, List.of()));
            }
        }
        return new ArrayList<>(out);
    }

    /** The scopes a new flow asks: sending, reading over IMAP, and a refresh token. */
    public List<String> flowScopes() {
        return scopesFor(List.of(MailCapability.SEND, MailCapability.READ_IMAP, MailCapability.OFFLINE_ACCESS));
    }

    /** Every scope this provider knows for mail, for validating a flow's scope list. */
    public Set<String> knownScopes() {
        Set<String> out = new LinkedHashSet<>();
        scopes.values().forEach(out::addAll);
        appOnlyScope.ifPresent(out::add);
        return out;
    }

    public boolean supports(MailCapability capability) {
        return switch (capability) {
            case READ_POP -> pop.isPresent() && !scopes.getOrDefault(capability, List.of()).isEmpty();
            default -> scopes.containsKey(capability);
        };
    }
}
