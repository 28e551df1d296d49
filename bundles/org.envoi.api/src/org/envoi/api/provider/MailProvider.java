package org.envoi.api.provider;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A mail provider (Microsoft 365, Google, ...), registered by its own bundle as an OSGi service with the
 * property {@value #PROVIDER_ID} equal to {@link #id()}. Implementations are stateless and thread-safe.
 */
public interface MailProvider {

    /** Service property carrying the provider id. */
    String PROVIDER_ID = "provider.id";

    /** Stable id stored in flows, for example {@code microsoft}; lower case, no spaces. */
    String id();

    /** Name shown to the administrator, for example "Microsoft 365". */
    String displayName();

    ProviderPreset preset();

    /**
     * Checks the provider-specific fields of a flow.
     *
     * @return the problems found, empty when the fields are valid
     */
    List<FieldProblem> validate(ProviderFields fields);

    /**
     * Checks the provider-specific fields of a flow that sends through {@code transport} (a {@code MailTransport}
     * id): its scopes are that transport's resource's (Microsoft Graph's for {@code graph}, not Exchange's). By
     * default, as {@link #validate(ProviderFields)}.
     */
    default List<FieldProblem> validate(ProviderFields fields, String transport) {
        return validate(fields);
    }

    /**
     * The fields this provider adds to a flow (stored in the flow's settings under their keys), described so that the
     * flows editor and the command line ({@code --set KEY=VALUE}) offer them without knowing the provider. None by
     * default.
     */
    default List<FieldDescription> fields() {
        return List.of();
    }

    /**
     * How long an operator's sign-in lives at this provider for a flow with these settings (some depend on how the
     * app is registered: Google's "Testing" status); empty when no limit is known (the default), and then Envoi
     * neither refreshes it early nor warns.
     */
    default Optional<SignInLifetime> signInLifetime(Map<String, String> flowSettings) {
        return Optional.empty();
    }

    /**
     * Turns an error from this provider's token or authorization endpoint into a sentence.
     *
     * @param error the OAuth {@code error} value, for example {@code invalid_grant}
     * @param description the {@code error_description}, may be null; Microsoft puts its AADSTS code there
     */
    ProviderError explain(String error, String description);
}
