package org.envoi.api.provider;

import java.util.Objects;

/**
 * One invalid field of a flow: the field's name (as the UI and CLI name it) and a sentence saying what to do.
 * Turned into {@link org.envoi.api.ErrorCode#INVALID_FLOW_DATA} by whoever saves the flow.
 */
public record FieldProblem(String field, String message) {

    public FieldProblem {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
