package org.envoi.provider.google.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointTemplate;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderError.Kind;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.SignInLifetime;
import org.envoi.api.provider.TlsMode;
import org.osgi.service.component.annotations.Component;

/** Gmail and Google Workspace. */
@Component(service = MailProvider.class, property = MailProvider.PROVIDER_ID + "=" + GoogleProvider.ID)
public final class GoogleProvider implements MailProvider {

    public static final String ID = "google";

    /** The only Google scope that authenticates SMTP, IMAP and POP. */
    static final String MAIL = "https://mail.google.com/";
    private static final String CLIENT_ID_SUFFIX = ".apps.googleusercontent.com";
    private static final Set<String> OPENID = Set.of("openid", "profile", "email");

    private static final ProviderPreset PRESET = new ProviderPreset(
            new EndpointTemplate("https://accounts.google.com/o/oauth2/v2/auth"),
            new EndpointTemplate("https://oauth2.googleapis.com/token"),
            // Google's device flow does not allow the Gmail scope: no device endpoint for mail
            Optional.empty(),
            Map.of(MailCapability.SEND, List.of(MAIL),
                    MailCapability.READ_IMAP, List.of(MAIL),
                    MailCapability.READ_POP, List.of(MAIL),
                    // Google gives a refresh token on access_type=offline, not on a scope
                    MailCapability.OFFLINE_ACCESS, List.of()),
            Optional.empty(),
            new ServerEndpoint("smtp.gmail.com", 587, TlsMode.STARTTLS),
            new ServerEndpoint("imap.gmail.com", 993, TlsMode.TLS),
            Optional.of(new ServerEndpoint("pop.gmail.com", 995, TlsMode.TLS)),
            Optional.empty(),
            ConsentHost.LOOPBACK,
            // prompt=consent: without it a second consent returns no new refresh token
            Map.of("access_type", "offline", "prompt", "consent"));

    /** The flow setting that says whether the app is published ("production") or left in "testing". */
    static final String PUBLISHING_STATUS = "google.publishingStatus";
    static final String TESTING = "testing";
    private static final String EXPIRATION = "https://developers.google.com/identity/protocols/oauth2#expiration";

    private static final List<FieldDescription> FIELDS = List.of(new FieldDescription(PUBLISHING_STATUS,
            "App publishing status", FieldDescription.Kind.CHOICE, "production", List.of("production", TESTING),
            "The publishing status of the app on Google Cloud Console's OAuth consent screen (Google Auth Platform,"
                    + " Audience): an app in Testing gets sign-ins that lapse 7 days after signing in."));

    /** Six months without use (180 days: the shortest six months), renewed by each refresh. */
    private static final SignInLifetime PUBLISHED = SignInLifetime.inactivity(Duration.ofDays(180), EXPIRATION);

    /** An app in "Testing" with the Gmail scope: 7 days from the sign-in, refreshes or not. */
    private static final SignInLifetime IN_TESTING = SignInLifetime.sinceSignIn(Duration.ofDays(7), EXPIRATION,
            "The administrator can end this: publish the app on Google Cloud Console (OAuth consent screen, Publish"
                    + " app), then set the flow's App publishing status to production.");

    @Override
    public List<FieldDescription> fields() {
        return FIELDS;
    }

    @Override
    public Optional<SignInLifetime> signInLifetime(Map<String, String> flowSettings) {
        return Optional.of(TESTING.equals(flowSettings.get(PUBLISHING_STATUS)) ? IN_TESTING : PUBLISHED);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Google (Gmail, Workspace)";
    }

    @Override
    public ProviderPreset preset() {
        return PRESET;
    }

    @Override
    public List<FieldProblem> validate(ProviderFields fields) {
        List<FieldProblem> out = new ArrayList<>(fields.commonProblems());
        if (!fields.tenant().isEmpty()) {
            out.add(new FieldProblem("tenant", "Google has no tenant: leave the tenant empty"));
        }
        if (!fields.clientId().isEmpty() && !fields.clientId().endsWith(CLIENT_ID_SUFFIX)) {
            out.add(new FieldProblem("clientId", "'" + fields.clientId() + "' is not a Google OAuth client ID: it"
                    + " ends with " + CLIENT_ID_SUFFIX + " (Google Cloud console, APIs & Services, Credentials)"));
        }
        if (fields.appOnly()) {
            out.add(new FieldProblem("appOnly", "Google has no app-only access for mail with a client secret:"
                    + " an operator or the shared mailbox's owner signs in once"));
        }
        if (fields.redirectUri().toLowerCase(Locale.ROOT).startsWith("urn:ietf:wg:oauth:2.0:oob")) {
            out.add(new FieldProblem("redirectUri", "Google removed the out-of-band (copy the code) redirect: use"
                    + " a loopback address such as http://127.0.0.1:3017/"));
        } else if (!fields.isLoopbackRedirect()) {
            out.add(new FieldProblem("redirectUri", "a desktop Google client redirects to this machine: use a"
                    + " loopback address such as http://127.0.0.1:3017/"));
        }
        switch (fields.consentHost()) {
            case EMBEDDED -> out.add(new FieldProblem("consentHost", "Google refuses sign-in inside embedded"
                    + " browsers (disallowed_useragent): use the system browser (loopback)"));
            case DEVICE -> out.add(new FieldProblem("consentHost", "Google's device-code sign-in does not allow the"
                    + " Gmail scope: use the system browser (loopback), or print on a terminal"));
            default -> { }
        }
        for (String scope : fields.scopes()) {
            if (scope.startsWith("https://www.googleapis.com/auth/gmail.")) {
                out.add(new FieldProblem("scopes", "'" + scope + "' is a Gmail API scope, which cannot authenticate"
                        + " SMTP, IMAP or POP: use " + MAIL));
            } else if (!scope.equals(MAIL) && !OPENID.contains(scope)) {
                out.add(new FieldProblem("scopes", "'" + scope + "' is not a Google mail scope: use " + MAIL));
            }
        }
        if (!fields.scopes().isEmpty() && !fields.scopes().contains(MAIL)) {
            out.add(new FieldProblem("scopes", MAIL + " is missing: it is the only scope Gmail accepts for SMTP,"
                    + " IMAP and POP"));
        }
        return out;
    }

    @Override
    public ProviderError explain(String error, String description) {
        String code = error == null ? "" : error.strip();
        String desc = description == null ? "" : description;
        switch (code) {
            case "invalid_grant":
                if (desc.contains("expired or revoked")) {
                    return new ProviderError(code, Kind.CONSENT_REQUIRED, "Google revoked or expired the sign-in:"
                            + " sign in again. If this happens every 7 days, the app's OAuth consent screen is in"
                            + " 'Testing', where Google ends refresh tokens after 7 days: publish it (In production).");
                }
                return new ProviderError(code, Kind.CONSENT_REQUIRED, "Google no longer accepts this sign-in (the"
                        + " account's password may have changed, or access was removed): sign in again.");
            case "disallowed_useragent":
                return new ProviderError(code, Kind.CONFIGURATION, "Google refuses sign-in inside embedded browsers:"
                        + " set the flow's consent to the system browser (loopback).");
            case "admin_policy_enforced":
                return new ProviderError(code, Kind.CONFIGURATION, "Your Google Workspace administrator blocks this"
                        + " app: ask them to trust its client ID under API controls.");
            case "org_internal":
                return new ProviderError(code, Kind.CONFIGURATION, "This Google app is limited to its own"
                        + " organization: sign in with an account of that organization, or make the app External.");
            case "redirect_uri_mismatch":
                return new ProviderError(code, Kind.CONFIGURATION, "Google does not know this redirect URI: use a"
                        + " Desktop app client (it accepts any loopback port), or register the exact URI.");
            case "deleted_client":
                return new ProviderError(code, Kind.CONFIGURATION, "This Google OAuth client was deleted: create a"
                        + " new one and import its JSON file into the flow.");
            case "access_denied":
                return new ProviderError(code, Kind.CONSENT_REQUIRED, "Consent was refused. If the app is in"
                        + " 'Testing', only its test users may sign in: add the account under OAuth consent screen,"
                        + " Test users, then sign in again.");
            default:
                return ProviderError.standard(error, description);
        }
    }
}
