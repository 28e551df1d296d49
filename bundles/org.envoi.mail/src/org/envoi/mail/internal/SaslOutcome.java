package org.envoi.mail.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one SASL exchange learned from the server: the JSON error challenge of a refused bearer token
 * ({@code {"status":"401","schemes":"bearer","scope":"…"}}). Passed to the SASL client through the session
 * properties, read by the transport to explain the failure.
 */
final class SaslOutcome {

    /** Session-property key under which the transport hands this object to {@link EnvoiSaslProvider}. */
    static final String PROPERTY = "org.envoi.mail.sasl.outcome";

    private final AtomicReference<String> serverError = new AtomicReference<>();

    void serverError(String json) {
        serverError.set(json);
    }

    Optional<String> serverError() {
        return Optional.ofNullable(serverError.get());
    }

    /** The {@code status} of the JSON challenge ("401", "invalid_token", …), if the server sent one. */
    Optional<String> status() {
        return serverError().flatMap(json -> {
            try {
                JsonNode n = new ObjectMapper().readTree(json);
                return Optional.ofNullable(n.get("status")).map(JsonNode::asText);
            } catch (Exception e) {
                return Optional.empty();
            }
        });
    }

    void reset() {
        serverError.set(null);
    }
}
