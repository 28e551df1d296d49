package org.envoi.api.provider;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider's error code turned into a sentence for the operator or the administrator.
 *
 * @param code the provider's code as received (for example {@code invalid_grant} or {@code AADSTS70043})
 * @param kind what the caller should do about it
 * @param sentence what happened and what to do, in plain words; never contains a token or secret
 * @param field for {@link Kind#CONFIGURATION}, the flow's field to fix ({@code scopes}, {@code clientSecret}...), when
 *        the provider's answer names one
 */
public record ProviderError(String code, Kind kind, String sentence, Optional<String> field) {

    public enum Kind {
        /** The refresh token is dead (revoked, expired, password changed): ask for consent again. */
        CONSENT_REQUIRED,
        /** The flow is wrong (client ID, secret, tenant, redirect URI, scopes): the administrator must fix it. */
        CONFIGURATION,
        /** Try again later (server busy, throttled). Never a reason to delete a refresh token. */
        TRANSIENT,
        /** Not recognized: shown as it came, with the provider's description. */
        UNKNOWN
    }

    public ProviderError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(sentence, "sentence");
        Objects.requireNonNull(field, "field");
    }

    /** An error that names no field. */
    public ProviderError(String code, Kind kind, String sentence) {
        this(code, kind, sentence, Optional.empty());
    }

    /**
     * The meaning of the standard OAuth2 error codes (RFC 6749 section 5.2, RFC 8628 section 3.5), for providers to
     * fall back on after their own codes.
     */
    public static ProviderError standard(String error, String description) {
        String code = error == null ? "" : error.strip();
        String detail = description == null || description.isBlank() ? "" : " (" + clip(description) + ")";
        return switch (code.toLowerCase(Locale.ROOT)) {
            case "invalid_grant" -> new ProviderError(code, Kind.CONSENT_REQUIRED,
                    "The sign-in was revoked or has expired" + detail + ": sign in again.");
            case "interaction_required", "login_required", "consent_required" -> new ProviderError(code,
                    Kind.CONSENT_REQUIRED, "The provider needs you to sign in again" + detail + ".");
            case "access_denied" -> new ProviderError(code, Kind.CONSENT_REQUIRED,
                    "Consent was refused" + detail + ": sign in again and accept the mail permissions.");
            case "expired_token" -> new ProviderError(code, Kind.CONSENT_REQUIRED,
                    "The device code expired before the sign-in was finished: start again.");
            case "invalid_client" -> new ProviderError(code, Kind.CONFIGURATION,
                    "The provider does not accept this client ID or client secret" + detail
                            + ": check both in the flow.");
            case "unauthorized_client" -> new ProviderError(code, Kind.CONFIGURATION,
                    "This client is not allowed to use this kind of sign-in" + detail
                            + ": check the app registration's platform and grant types.");
            case "invalid_scope" -> new ProviderError(code, Kind.CONFIGURATION,
                    "The provider rejects the flow's scopes" + detail + ": apply the provider preset again.",
                    Optional.of("scopes"));
            case "invalid_request", "unsupported_grant_type", "unsupported_response_type" -> new ProviderError(code,
                    Kind.CONFIGURATION, "The provider rejects the request" + detail + ": check the flow's endpoints.");
            case "temporarily_unavailable", "server_error", "slow_down", "authorization_pending" -> new ProviderError(
                    code, Kind.TRANSIENT, "The provider is busy or unavailable" + detail + ": Envoi tries again.");
            default -> new ProviderError(code, Kind.UNKNOWN,
                    "The provider answered '" + clip(code) + "'" + detail + ".");
        };
    }

    /** Provider descriptions can be long (trace IDs, timestamps); keep a sentence readable. */
    private static String clip(String text) {
        String oneLine = text.replaceAll("[\\r\\n\\t]+", " ").strip();
        return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 297) + "...";
    }
}
