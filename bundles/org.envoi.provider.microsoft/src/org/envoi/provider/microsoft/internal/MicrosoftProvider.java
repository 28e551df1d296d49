package org.envoi.provider.microsoft.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointTemplate;
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

/** Microsoft 365 / Exchange Online through the Microsoft identity platform (v2.0 endpoints). */
@Component(service = MailProvider.class, property = MailProvider.PROVIDER_ID + "=" + MicrosoftProvider.ID)
public final class MicrosoftProvider implements MailProvider {

    public static final String ID = "microsoft";

    static final String LOGIN = "https://login.microsoftonline.com/" + EndpointTemplate.TENANT + "/oauth2/v2.0/";
    static final String SMTP_SEND = "https://outlook.office.com/SMTP.Send";
    static final String IMAP = "https://outlook.office.com/IMAP.AccessAsUser.All";
    static final String POP = "https://outlook.office.com/POP.AccessAsUser.All";
    static final String OFFLINE = "offline_access";
    static final String APP_ONLY = "https://outlook.office365.com/.default";

    /** Aliases that stand for "any directory"; client credentials need a real one. */
    private static final Set<String> TENANT_ALIASES = Set.of("common", "organizations", "consumers");
    private static final Pattern GUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DOMAIN = Pattern.compile("([A-Za-z0-9-]{1,63}\\.)+[A-Za-z]{2,63}");
    private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");
    /** The resource of a scope: {@code https://graph.microsoft.com} of {@code https://graph.microsoft.com/Mail.Send}. */
    private static final Pattern RESOURCE = Pattern.compile("\\b([a-z][a-z0-9+.-]*://[^/\\s'\"]+)/",
            Pattern.CASE_INSENSITIVE);
    private static final Set<String> OPENID = Set.of("openid", "profile", "email");

    private static final ProviderPreset PRESET = new ProviderPreset(
            new EndpointTemplate(LOGIN + "authorize"),
            new EndpointTemplate(LOGIN + "token"),
            Optional.of(new EndpointTemplate(LOGIN + "devicecode")),
            Map.of(MailCapability.SEND, List.of(SMTP_SEND),
                    MailCapability.READ_IMAP, List.of(IMAP),
                    MailCapability.READ_POP, List.of(POP),
                    MailCapability.OFFLINE_ACCESS, List.of(OFFLINE)),
            Optional.of(APP_ONLY),
            new ServerEndpoint("smtp.office365.com", 587, TlsMode.STARTTLS),
            new ServerEndpoint("outlook.office365.com", 993, TlsMode.TLS),
            Optional.of(new ServerEndpoint("outlook.office365.com", 995, TlsMode.TLS)),
            Optional.empty(),
            ConsentHost.EMBEDDED,
            Map.of());

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Microsoft 365";
    }

    @Override
    public ProviderPreset preset() {
        return PRESET;
    }

    @Override
    public List<FieldProblem> validate(ProviderFields fields) {
        List<FieldProblem> out = new ArrayList<>(fields.commonProblems());
        String tenant = fields.tenant();
        if (tenant.isEmpty()) {
            out.add(new FieldProblem("tenant", "the tenant is empty: type the Directory (tenant) ID from the app's"
                    + " Overview page in Microsoft Entra, or 'organizations' for a multi-tenant app"));
        } else if (!GUID.matcher(tenant).matches() && !DOMAIN.matcher(tenant).matches()
                && !TENANT_ALIASES.contains(tenant.toLowerCase(Locale.ROOT))) {
            out.add(new FieldProblem("tenant", "'" + tenant + "' is not a tenant: use the Directory (tenant) ID"
                    + " (a GUID), a verified domain such as contoso.com, or 'organizations'"));
        } else if (fields.appOnly() && TENANT_ALIASES.contains(tenant.toLowerCase(Locale.ROOT))) {
            out.add(new FieldProblem("tenant", "app-only access needs the real Directory (tenant) ID, not '" + tenant
                    + "'"));
        }
        if (!fields.clientId().isEmpty() && !GUID.matcher(fields.clientId()).matches()) {
            out.add(new FieldProblem("clientId", "'" + fields.clientId() + "' is not an Application (client) ID:"
                    + " copy the GUID from the app's Overview page in Microsoft Entra"));
        }
        checkScopes(fields, out);
        return out;
    }

    /** Microsoft Graph's resource, whose scopes a flow with the {@code graph} transport asks. */
    static final String GRAPH = "https://graph.microsoft.com/";
    static final String GRAPH_APP_ONLY = GRAPH + ".default";
    /** The delegated Graph scopes Envoi uses: sending, reading, and OneDrive files. */
    private static final Set<String> GRAPH_SCOPES = Set.of("Mail.Send", "Mail.ReadWrite", "Mail.Read",
            "Mail.Send.Shared", "Files.ReadWrite", "Files.ReadWrite.All");

    /**
     * A flow sending through Microsoft Graph asks Graph's scopes ({@code Mail.Send}…, app-only
     * {@code https://graph.microsoft.com/.default}), never Exchange's: one resource per token request (AADSTS70011).
     */
    @Override
    public List<FieldProblem> validate(ProviderFields fields, String transport) {
        if (!"graph".equals(transport)) {
            return validate(fields);
        }
        List<FieldProblem> out = new ArrayList<>(validate(new ProviderFields(fields.tenant(), fields.clientId(),
                fields.redirectUri(), List.of(), fields.consentHost(), fields.appOnly())));
        out.removeIf(p -> p.field().equals("scopes"));
        if (fields.appOnly()) {
            if (!fields.scopes().equals(List.of(GRAPH_APP_ONLY))) {
                out.add(new FieldProblem("scopes", "app-only access through Microsoft Graph takes exactly one scope, "
                        + GRAPH_APP_ONLY));
            }
            return out;
        }
        if (fields.scopes().isEmpty()) {
            out.add(new FieldProblem("scopes", "no scope is set: apply the Microsoft 365 preset for Graph ("
                    + GRAPH + "Mail.Send, Mail.ReadWrite, offline_access)"));
        }
        for (String scope : fields.scopes()) {
            String name = scope.regionMatches(true, 0, GRAPH, 0, GRAPH.length()) ? scope.substring(GRAPH.length())
                    : scope;
            if (!GRAPH_SCOPES.contains(name) && !scope.equals(OFFLINE) && !OPENID.contains(scope)) {
                out.add(new FieldProblem("scopes", "'" + scope + "' is not a Microsoft Graph scope that Envoi uses"
                        + (scope.toLowerCase(Locale.ROOT).startsWith("https://outlook.office") ? " (it is Exchange's,"
                                + " for SMTP and IMAP: a token asks one resource)" : "") + ": use " + GRAPH
                        + "Mail.Send, " + GRAPH + "Mail.ReadWrite and offline_access"));
            }
        }
        if (!fields.scopes().isEmpty() && !fields.scopes().contains(OFFLINE)) {
            out.add(new FieldProblem("scopes", "offline_access is missing: without it Microsoft returns no refresh"
                    + " token and the operator must sign in every hour"));
        }
        return out;
    }

    private static void checkScopes(ProviderFields fields, List<FieldProblem> out) {
        if (fields.appOnly()) {
            if (!fields.scopes().equals(List.of(APP_ONLY))) {
                out.add(new FieldProblem("scopes", "app-only access takes exactly one scope, " + APP_ONLY));
            }
            return;
        }
        Set<String> known = PRESET.knownScopes();
        for (String scope : fields.scopes()) {
            if (scope.toLowerCase(Locale.ROOT).startsWith("https://graph.microsoft.com/")) {
                out.add(new FieldProblem("scopes", "'" + scope + "' is a Microsoft Graph scope, which cannot"
                        + " authenticate SMTP, IMAP or POP: use " + SMTP_SEND + " and " + IMAP));
            } else if (scope.equals(APP_ONLY)) {
                out.add(new FieldProblem("scopes", APP_ONLY + " is only for app-only access: tick app-only or"
                        + " remove it"));
            } else if (!known.contains(scope) && !OPENID.contains(scope)) {
                out.add(new FieldProblem("scopes", "'" + scope + "' is not a Microsoft 365 mail scope: apply the"
                        + " Microsoft 365 preset"));
            }
        }
        if (!fields.scopes().isEmpty() && !fields.scopes().contains(OFFLINE)) {
            out.add(new FieldProblem("scopes", "offline_access is missing: without it Microsoft returns no refresh"
                    + " token and the operator must sign in every hour"));
        }
    }

    /**
     * Refresh tokens live 90 days and each refresh returns a new one for 90 more ("Refresh tokens replace themselves
     * with a fresh token upon every use"; 24 hours only for single-page apps, which Envoi is not):
     * https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
     */
    private static final SignInLifetime LIFETIME = SignInLifetime.inactivity(Duration.ofDays(90),
            "https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens");

    @Override
    public Optional<SignInLifetime> signInLifetime(Map<String, String> flowSettings) {
        return Optional.of(LIFETIME);
    }

    @Override
    public ProviderError explain(String error, String description) {
        Matcher m = AADSTS.matcher(description == null ? "" : description);
        if (m.find()) {
            String code = "AADSTS" + m.group(1);
            List<String> resources = resourcesIn(description);
            // AADSTS28000, and AADSTS70011 before it, refuse scopes of two resources in one request
            if (code.equals("AADSTS28000") || code.equals("AADSTS70011") && (resources.size() > 1
                    || description.contains("not compatible with each other"))) {
                return twoResources(code, resources);
            }
            ProviderError known = explainAadsts(code);
            if (known != null) {
                return known;
            }
        }
        return ProviderError.standard(error, description);
    }

    /** The resources of the scopes a description quotes, in order, each once. */
    private static List<String> resourcesIn(String description) {
        Matcher m = RESOURCE.matcher(description);
        Set<String> out = new java.util.LinkedHashSet<>();
        while (m.find()) {
            out.add(m.group(1).toLowerCase(Locale.ROOT));
        }
        return List.copyOf(out);
    }

    private static ProviderError twoResources(String code, List<String> resources) {
        String which = resources.size() > 1 ? " (" + String.join(" and ", resources) + ")" : "";
        return new ProviderError(code, Kind.CONFIGURATION, "Microsoft refused the sign-in because its scopes belong"
                + " to more than one resource" + which + ", and it grants a token for one resource at a time. Envoi"
                + " asks each resource for its own scopes in a sign-in of its own (the mail servers' with the flow's"
                + " scopes, Microsoft Graph's when the flow uses it): keep in the flow's scopes those of one resource"
                + " only, " + SMTP_SEND + ", " + IMAP + " and " + OFFLINE + " for SMTP and IMAP (apply the Microsoft"
                + " 365 preset again), then sign in again.", Optional.of("scopes"));
    }

    private static ProviderError explainAadsts(String code) {
        return switch (code) {
            case "AADSTS70043" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "Microsoft ended the sign-in because"
                    + " of your organization's sign-in frequency rule (Conditional Access): sign in again.");
            case "AADSTS700082" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "The sign-in expired after 90"
                    + " days without use: sign in again.");
            case "AADSTS50173" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "The sign-in is no longer valid"
                    + " because the password was changed or the sessions were revoked: sign in again.");
            case "AADSTS65001" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "Nobody has consented to this"
                    + " app's mail permissions yet: sign in again and accept; if your organization blocks user"
                    + " consent, an administrator must grant admin consent in Microsoft Entra.");
            case "AADSTS50076", "AADSTS50079" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "Your organization"
                    + " requires multi-factor authentication: sign in again in the browser.");
            case "AADSTS700084" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "The sign-in of a single-page app"
                    + " expires after 24 hours: register the app as a desktop (public client) app, then sign in again.");
            case "AADSTS53003" -> new ProviderError(code, Kind.CONFIGURATION, "A Conditional Access policy of your"
                    + " organization blocks this sign-in: ask your Microsoft 365 administrator.");
            case "AADSTS50057" -> new ProviderError(code, Kind.CONFIGURATION, "This Microsoft 365 account is"
                    + " disabled: ask your administrator.");
            case "AADSTS7000215" -> new ProviderError(code, Kind.CONFIGURATION, "The client secret is wrong: copy the"
                    + " secret's Value (not its Secret ID) from Microsoft Entra into the flow.");
            case "AADSTS7000222" -> new ProviderError(code, Kind.CONFIGURATION, "The client secret has expired:"
                    + " create a new one under Certificates & secrets in Microsoft Entra and enter it in the flow.");
            case "AADSTS700016" -> new ProviderError(code, Kind.CONFIGURATION, "No app with this client ID exists"
                    + " in this tenant: check the flow's client ID and tenant.");
            case "AADSTS90002" -> new ProviderError(code, Kind.CONFIGURATION, "This tenant does not exist: check"
                    + " the flow's tenant (the Directory ID or a verified domain).");
            case "AADSTS50011" -> new ProviderError(code, Kind.CONFIGURATION, "The redirect URI is not registered"
                    + " for this app: add the flow's redirect URI to the app's Authentication page in Microsoft Entra.");
            case "AADSTS70011" -> new ProviderError(code, Kind.CONFIGURATION, "Microsoft rejects the flow's scopes:"
                    + " apply the Microsoft 365 preset again.", Optional.of("scopes"));
            case "AADSTS50034" -> new ProviderError(code, Kind.CONSENT_REQUIRED, "This account does not exist in"
                    + " the tenant: sign in again with the right account.");
            case "AADSTS50196" -> new ProviderError(code, Kind.TRANSIENT, "Microsoft is throttling sign-ins from this"
                    + " machine: Envoi waits and tries again.");
            default -> null;
        };
    }
}
