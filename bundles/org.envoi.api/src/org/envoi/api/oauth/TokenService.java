package org.envoi.api.oauth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The OAuth2 engine: gets tokens, keeps them in the vault and refreshes them silently. Thread-safe.
 * <p>
 * Tokens are kept per flow, operator and resource ({@link OAuthClient#resource()}): each resource has its own sign-in,
 * refresh, cache and lock, and acting on one never touches another's.
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
     * Refreshes the operator's sign-in now, even while its access token is still valid, when it was last refreshed
     * (or signed in) at or before {@code refreshedBefore}: a refresh token that is used does not lapse for inactivity
     * ({@link SignInKeeper}). The same single flight as {@link #accessToken}: never two refreshes of one sign-in at
     * once, the rotated refresh token stored first; a refused refresh marks the sign-in {@code CONSENT_REQUIRED}, a
     * network failure is {@code OAUTH_UNAVAILABLE} and changes nothing.
     *
     * @return true when a token request was made; false when the sign-in was refreshed after {@code refreshedBefore}
     *         (by a sender, another desk), or holds no refresh token (app-only)
     */
    default boolean renew(OAuthClient client, String operatorId, Instant refreshedBefore) {
        throw new UnsupportedOperationException("this token service cannot renew sign-ins ahead of time");
    }

    /**
     * The server refused {@code rejectedAccessToken} (an SMTP/IMAP 535 or 401): forget it so that the next
     * {@link #accessToken} refreshes once. A token that was already replaced is left alone.
     */
    void reject(OAuthClient client, String operatorId, String rejectedAccessToken);

    /** The status of the flow's own sign-in (resource {@code ""}). */
    default CredentialStatus status(String flowId, String operatorId) {
        return status(flowId, operatorId, OAuthClient.OWN_RESOURCE);
    }

    /** The status of the operator's sign-in to one resource of the flow ({@code ""} for the flow's own). */
    CredentialStatus status(String flowId, String operatorId, String resource);

    /** The resources the operator holds a sign-in for in this flow ({@code ""} first when held), whatever its state. */
    List<String> resources(String flowId, String operatorId);

    /**
     * Forgets the operator's sign-ins to every resource of the flow (the operator leaves the flow, or is removed).
     * Nothing is sent to the provider.
     *
     * @return true if there was one
     */
    boolean signOut(String flowId, String operatorId);

    /**
     * The flow's client ID or token endpoint is about to change from {@code previous} to {@code current} (an edit,
     * an import). Its stored sign-ins, of every operator and every resource, are not sent to the new endpoint: each is
     * marked {@code CONSENT_REQUIRED} with that reason, and the client secret stays bound to {@code previous} until it
     * is entered again. Entries stored before bindings existed are bound to {@code previous} here, the endpoint they
     * were granted for.
     */
    void clientChanged(OAuthClient previous, OAuthClient current);
}
