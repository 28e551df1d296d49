package org.envoi.api.oauth;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
 */
public record OAuthClient(String flowId, String providerId, URI authorizationUri, URI tokenUri, Optional<URI> deviceUri,
        String clientId, boolean confidential, List<String> scopes, Optional<URI> redirectUri,
        Map<String, String> authorizationParameters) {

    public OAuthClient {
        Objects.requireNonNull(flowId, "flowId");
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(authorizationUri, "authorizationUri");
        Objects.requireNonNull(tokenUri, "tokenUri");
        Objects.requireNonNull(deviceUri, "deviceUri");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(redirectUri, "redirectUri");
        scopes = List.copyOf(scopes);
        authorizationParameters = Map.copyOf(authorizationParameters);
    }
}
