package org.envoi.api.oauth;

import java.util.Objects;
import java.util.Optional;

/**
 * What a stored secret or sign-in was granted for: the OAuth client ID and the token endpoint. A credential is sent
 * only to the client and endpoint it is bound to; when a flow's client ID or token endpoint changes (an edit, an
 * import), its secret must be entered again and its operators must sign in again.
 *
 * @param clientId the OAuth client ID
 * @param tokenEndpoint the token endpoint, as the engine sends to it (tenant resolved)
 */
public record ClientBinding(String clientId, String tokenEndpoint) {

    private static final String FORMAT = "envoi-binding 1";

    public ClientBinding {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(tokenEndpoint, "tokenEndpoint");
    }

    public static ClientBinding of(OAuthClient client) {
        return new ClientBinding(client.clientId(), client.tokenUri().toString());
    }

    /** The form kept in the vault (entry {@link org.envoi.api.vault.VaultKey#clientBinding}). */
    public String encode() {
        return FORMAT + "\n" + clientId + "\n" + tokenEndpoint;
    }

    /** @return the binding, or empty when {@code stored} is not one (then it binds nothing) */
    public static Optional<ClientBinding> decode(String stored) {
        String[] lines = stored.split("\n", -1);
        if (lines.length != 3 || !lines[0].equals(FORMAT)) {
            return Optional.empty();
        }
        return Optional.of(new ClientBinding(lines[1], lines[2]));
    }

    /** A sentence naming what changed, for the operator and the administrator. */
    public String changeTo(ClientBinding now) {
        if (!tokenEndpoint.equals(now.tokenEndpoint) && !clientId.equals(now.clientId)) {
            return "the flow's token endpoint and client ID changed (from " + tokenEndpoint + " and client "
                    + clientId + " to " + now.tokenEndpoint + " and client " + now.clientId + ")";
        }
        if (!tokenEndpoint.equals(now.tokenEndpoint)) {
            return "the flow's token endpoint changed (from " + tokenEndpoint + " to " + now.tokenEndpoint + ")";
        }
        return "the flow's client ID changed (from " + clientId + " to " + now.clientId + ")";
    }
}
