package org.envoi.oauth.internal;

/**
 * A token or device endpoint answered with an error. Carries the status and the OAuth {@code error} and
 * {@code error_description} only: never the response body, which on other paths holds tokens.
 */
final class TokenEndpointError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final String error;
    final String description;

    TokenEndpointError(int status, String error, String description) {
        super("token endpoint answered HTTP " + status + (error == null ? "" : " " + error), null, false, false);
        this.status = status;
        this.error = error;
        this.description = description;
    }

    /** 5xx, 429 and the OAuth codes that say "try later". */
    boolean transient_() {
        return status >= 500 || status == 429 || "temporarily_unavailable".equals(error)
                || "server_error".equals(error);
    }
}
