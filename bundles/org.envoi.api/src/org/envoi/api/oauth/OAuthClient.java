package org.envoi.api.oauth;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.envoi.api.vault.VaultKey;

/**
 * Everything the OAuth engine needs to talk to one provider for one flow, with endpoints already resolved (tenant
 * substituted). The client secret is not here: the engine reads it from the vault under the flow's id.
 *
 * @param flowId the authentication flow
 * @param providerId the provider whose error codes explain failures ({@code microsoft}, {@code google}...), or
 *        {@code custom}
 * @param authorizationUri authorization endpoint
 * @param tokenUri token endpoint
 * @param deviceUri device-authorization endpoint (RFC 8628), if the provider has one
 * @param clientId the OAuth client id
 * @param confidential true when the client authenticates with a secret from the vault
 * @param scopes scopes to request
 * @param redirectUri the registered redirect URI; empty for "any loopback port" (http://127.0.0.1:PORT/)
 * @param authorizationParameters extra query parameters of the authorization request
 * @param resource whose tokens these are: {@link #OWN_RESOURCE} ({@code ""}) for the flow's own sign-in, or a short
 *        lower-case word ({@code graph}) for another resource of the same flow. Microsoft refuses scopes of two
 *        resources in one request (AADSTS70011), so a flow that sends over SMTP (Exchange) and stores files through
 *        Graph needs two sign-ins: the engine and the vault keep one token set per flow, operator and resource.
 */
public record OAuthClient(String flowId, String providerId, URI authorizationUri, URI tokenUri, Optional<URI> deviceUri,
        String clientId, boolean confidential, List<String> scopes, Optional<URI> redirectUri,
        Map<String, String> authorizationParameters, String resource) {

    /** The resource of the flow's own sign-in (its scopes, as the flow states them). */
    public static final String OWN_RESOURCE = "";

    public OAuthClient {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(authorizationUri, "authorizationUri");
        Objects.requireNonNull(tokenUri, "tokenUri");
        Objects.requireNonNull(deviceUri, "deviceUri");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(redirectUri, "redirectUri");
        VaultKey.checkResource(resource);
        scopes = List.copyOf(scopes);
        authorizationParameters = Map.copyOf(authorizationParameters);
    }

    /** The flow's own sign-in (resource {@code ""}), as before resources existed. */
    public OAuthClient(String flowId, String providerId, URI authorizationUri, URI tokenUri, Optional<URI> deviceUri,
            String clientId, boolean confidential, List<String> scopes, Optional<URI> redirectUri,
            Map<String, String> authorizationParameters) {
        this(flowId, providerId, authorizationUri, tokenUri, deviceUri, clientId, confidential, scopes, redirectUri,
                authorizationParameters, OWN_RESOURCE);
    }

    /**
     * The same flow's client for another resource (same endpoints, client and consent host), asking for that
     * resource's scopes only.
     */
    public OAuthClient forResource(String otherResource, List<String> resourceScopes) {
        return new OAuthClient(flowId, providerId, authorizationUri, tokenUri, deviceUri, clientId, confidential,
                resourceScopes, redirectUri, authorizationParameters, otherResource);
    }
}
