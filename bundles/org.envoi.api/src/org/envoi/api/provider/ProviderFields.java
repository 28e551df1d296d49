package org.envoi.api.provider;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The provider-specific part of an authentication flow, as typed by the administrator, before validation.
 * The client secret is not here: it lives only in the vault.
 *
 * @param tenant tenant (Microsoft directory ID or domain), may be empty
 * @param clientId the OAuth client (application) ID
 * @param redirectUri the redirect URI registered with the provider, may be empty (then a loopback one is used)
 * @param scopes the scopes the flow will request
 * @param consentHost how the operator consents
 * @param appOnly true for the client-credentials grant (no operator consent, app permissions)
 */
public record ProviderFields(String tenant, String clientId, String redirectUri, List<String> scopes,
        ConsentHost consentHost, boolean appOnly) {

    public ProviderFields {
        tenant = tenant == null ? "" : tenant.strip();
        clientId = clientId == null ? "" : clientId.strip();
        redirectUri = redirectUri == null ? "" : redirectUri.strip();
        scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
        Objects.requireNonNull(consentHost, "consentHost");
    }

    /**
     * The checks every OAuth2 provider shares: a client ID, at least one scope, and a redirect URI (when given)
     * that is either https or plain http to this machine's loopback address.
     */
    public List<FieldProblem> commonProblems() {
        List<FieldProblem> out = new ArrayList<>();
        if (clientId.isEmpty()) {
            out.add(new FieldProblem("clientId", "the client ID is empty: copy it from the provider's app registration"));
        }
        if (scopes.isEmpty()) {
            out.add(new FieldProblem("scopes", "no scope is set: apply the provider preset to fill them"));
        }
        if (!redirectUri.isEmpty()) {
            try {
                URI uri = new URI(redirectUri);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (scheme.equals("http")) {
                    if (!isLoopback(uri.getHost())) {
                        out.add(new FieldProblem("redirectUri", "'" + redirectUri
                                + "' sends the code in clear to another machine: use http://127.0.0.1:PORT/ or an https address"));
                    }
                } else if (!scheme.equals("https")) {
                    out.add(new FieldProblem("redirectUri", "'" + redirectUri
                            + "' is neither a loopback http address nor https: use http://127.0.0.1:PORT/"));
                }
            } catch (URISyntaxException e) {
                out.add(new FieldProblem("redirectUri", "'" + redirectUri + "' is not a valid URL: " + e.getReason()));
            }
        }
        if (consentHost == ConsentHost.LOOPBACK && !redirectUri.isEmpty() && !isLoopbackRedirect()) {
            out.add(new FieldProblem("redirectUri",
                    "the system-browser consent needs a loopback redirect URI such as http://127.0.0.1:3017/"));
        }
        return out;
    }

    /** True when the redirect URI is empty (a loopback one is chosen) or plain http to the loopback address. */
    public boolean isLoopbackRedirect() {
        if (redirectUri.isEmpty()) {
            return true;
        }
        try {
            URI uri = new URI(redirectUri);
            return "http".equalsIgnoreCase(uri.getScheme()) && isLoopback(uri.getHost());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static boolean isLoopback(String host) {
        return EndpointRule.isLoopbackHost(host);
    }
}
