package org.envoi.api.oauth;

import java.time.Duration;

/**
 * The OAuth2 engine: gets tokens, keeps them in the vault and refreshes them silently. Thread-safe.
 * <p>
 * Errors are {@link org.envoi.api.EnvoiException}s: {@code CONSENT_REQUIRED} (the operator must sign in again; the
 * provider's reason is in the message), {@code OAUTH_UNAVAILABLE} (network, 5xx, time-out after retries; nothing
 * was deleted), {@code INVALID_FLOW_DATA} (client id, secret, tenant, scopes refused), {@code OAUTH_FAILED}.
 */
public interface TokenService {

    /**
     * Authorization code with PKCE S256 and {@code state}, through a consent host. Stores the tokens for the operator.
     */
    TokenSet authorize(OAuthClient client, String operatorId, ConsentHandler consent, Duration timeout);

    /** Device code (RFC 8628), honouring {@code interval} and {@code slow_down}. Stores the tokens. */
    TokenSet authorizeWithDeviceCode(OAuthClient client, String operatorId, DeviceCodePrompt prompt, Duration timeout);

    /** Client credentials (app-only). Stores the token under the flow's shared operator. */
    TokenSet clientCredentials(OAuthClient client);

    /**
     * A valid access token: from the cache, or refreshed before it expires (one request however many callers wait),
     * the new refresh token stored before the access token is returned.
     */
    String accessToken(OAuthClient client, String operatorId);

    /**
     * The server refused {@code rejectedAccessToken} (an SMTP/IMAP 535 or 401): forget it so that the next
     * {@link #accessToken} refreshes once. A token that was already replaced is left alone.
     */
    void reject(OAuthClient client, String operatorId, String rejectedAccessToken);

    CredentialStatus status(String flowId, String operatorId);

    /**
     * The flow's client ID or token endpoint is about to change from {@code previous} to {@code current} (an edit,
     * an import). Its stored sign-ins are not sent to the new endpoint: each is marked {@code CONSENT_REQUIRED} with
     * that reason, and the client secret stays bound to {@code previous} until it is entered again. Entries stored
     * before bindings existed are bound to {@code previous} here, the endpoint they were granted for.
     */
    void clientChanged(OAuthClient previous, OAuthClient current);
}
