package org.envoi.oauth.internal;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.envoi.api.oauth.ClientBinding;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.TokenSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the vault holds for one operator of one flow: the tokens, where the credential stands, and the client ID and
 * token endpoint it was granted for (empty for an entry written before bindings existed). {@code lastRefresh} is when
 * a token was last obtained (sign-in or refresh), {@code signedIn} when the operator last signed in; an entry written
 * before Envoi kept the latter reads it as its last refresh.
 */
record StoredCredential(TokenSet tokens, CredentialStatus.State state, Optional<String> reason, Instant lastRefresh,
        Optional<ClientBinding> binding, Instant signedIn) {

    StoredCredential withState(CredentialStatus.State newState, String why) {
        return new StoredCredential(tokens, newState, Optional.ofNullable(why), lastRefresh, binding, signedIn);
    }

    StoredCredential withBinding(ClientBinding b) {
        return new StoredCredential(tokens, state, reason, lastRefresh, Optional.of(b), signedIn);
    }

    /** The same credential with its access token marked as dead (the server refused it). */
    StoredCredential withAccessExpired() {
        return new StoredCredential(new TokenSet(tokens.accessToken(), tokens.refreshToken(), Instant.EPOCH,
                tokens.scopes()), state, reason, lastRefresh, binding, signedIn);
    }

    CredentialStatus status() {
        return new CredentialStatus(state, reason, Optional.of(tokens.expiresAt()), Optional.of(lastRefresh),
                Optional.of(signedIn));
    }

    String toJson() {
        ObjectNode n = TokenResponseReader.JSON.createObjectNode();
        n.put("version", 1);
        n.put("access", tokens.accessToken());
        tokens.refreshToken().ifPresent(r -> n.put("refresh", r));
        n.put("expiresAt", tokens.expiresAt().getEpochSecond());
        tokens.scopes().forEach(n.putArray("scopes")::add);
        n.put("state", state.name());
        reason.ifPresent(r -> n.put("reason", r));
        n.put("lastRefresh", lastRefresh.getEpochSecond());
        n.put("signedIn", signedIn.getEpochSecond());
        binding.ifPresent(b -> {
            n.put("clientId", b.clientId());
            n.put("tokenUri", b.tokenEndpoint());
        });
        return n.toString();
    }

    static StoredCredential fromJson(String json) throws IOException {
        JsonNode n = TokenResponseReader.JSON.readTree(json);
        List<String> scopes = new ArrayList<>();
        if (n.has("scopes")) {
            n.get("scopes").forEach(s -> scopes.add(s.asText()));
        }
        TokenSet t = new TokenSet(n.get("access").asText(), Optional.ofNullable(TokenResponseReader.text(n, "refresh")),
                Instant.ofEpochSecond(n.get("expiresAt").asLong()), scopes);
        Instant lastRefresh = Instant.ofEpochSecond(n.get("lastRefresh").asLong());
        return new StoredCredential(t, CredentialStatus.State.valueOf(n.get("state").asText()),
                Optional.ofNullable(TokenResponseReader.text(n, "reason")), lastRefresh,
                Optional.ofNullable(TokenResponseReader.text(n, "tokenUri")).map(uri -> new ClientBinding(
                        Optional.ofNullable(TokenResponseReader.text(n, "clientId")).orElse(""), uri)),
                // written before sign-in times were kept: the last refresh is the latest it can have been
                n.hasNonNull("signedIn") ? Instant.ofEpochSecond(n.get("signedIn").asLong()) : lastRefresh);
    }

    @Override
    public String toString() {
        return "StoredCredential[" + tokens + ", " + state + "]";
    }
}
