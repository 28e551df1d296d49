package org.envoi.api.oauth;

import java.util.Optional;

/**
 * The query of the redirect that ended a consent: a code, or an error. {@link #toString()} hides the code.
 */
public record AuthorizationResponse(Optional<String> code, String state, Optional<String> error,
        Optional<String> errorDescription) {

    @Override
    public String toString() {
        return "AuthorizationResponse[code " + (code.isPresent() ? "present" : "absent") + ", error "
                + error.orElse("none") + "]";
    }
}
