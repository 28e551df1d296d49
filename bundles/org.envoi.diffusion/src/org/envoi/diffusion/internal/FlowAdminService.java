package org.envoi.diffusion.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowFormat;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.ClientBinding;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointRule;
import org.envoi.api.provider.EndpointTemplate;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Validation, saving with the secret, JSON export and import, Google client JSON, secret expiry warnings. */
@Component(service = FlowAdmin.class)
public final class FlowAdminService implements FlowAdmin {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._@+-]{1,128}");
    private static final Pattern ADDRESS = Pattern.compile("[^@\\s<>]+@[^@\\s<>]+\\.[^@\\s<>]+");
    /** Identity scopes a provider accepts beside its mail scopes. */
    private static final Set<String> IDENTITY_SCOPES = Set.of("openid", "email", "profile");

    private final FlowRepository flows;
    private final ProviderRegistry providers;
    private final TokenVault vault;
    private final TokenService tokens;
    private final FlowFormat format;
    private final TransportRegistry transports;

    @Activate
    public FlowAdminService(@Reference FlowRepository flows, @Reference ProviderRegistry providers,
            @Reference TokenVault vault, @Reference TokenService tokens, @Reference FlowFormat format,
            @Reference TransportRegistry transports) {
        this.flows = flows;
        this.transports = transports;
        this.format = format;
        this.providers = providers;
        this.vault = vault;
        this.tokens = tokens;
    }

    @Override
    public List<FieldProblem> validate(Flow f) {
        List<FieldProblem> out = new ArrayList<>();
        if (!ID.matcher(f.id()).matches()) {
            out.add(new FieldProblem("id", "'" + f.id() + "' may only hold letters, digits and . _ @ + - (1 to 128)"));
        }
        if (f.name().isBlank()) {
            out.add(new FieldProblem("name", "the flow has no name: give the one operators will recognize"));
        }
        // another transport (Graph) may send and read with no mail server at all
        if (f.transport().equals(MailTransport.SMTP) && f.smtp().isEmpty() && f.imap().isEmpty() && f.pop()
                .isEmpty()) {
            out.add(new FieldProblem("smtp", "the flow has no mail server: set at least the SMTP server"));
        }
        transport(f, out);
        server("smtp", f.smtp(), out);
        server("imap", f.imap(), out);
        server("pop", f.pop(), out);
        f.genericAddress().filter(a -> !ADDRESS.matcher(a).matches()).ifPresent(a -> out.add(new FieldProblem(
                "genericAddress", "'" + a + "' is not an e-mail address: give the shared mailbox's address")));
        if (f.attachmentLimitBytes() < 0) {
            out.add(new FieldProblem("attachmentLimit", "the limit is negative: give a size in MB, or 0 for none"));
        }
        if (f.type() == FlowType.BASIC) {
            if (f.username().isEmpty()) {
                out.add(new FieldProblem("username", "a password flow needs the mailbox user name"));
            }
            return out;
        }
        ProviderFields o = f.oauth();
        // every flow's endpoints, a provider's overrides as much as a custom flow's: the secret and tokens go there
        boolean custom = f.providerId().equals(FlowClients.CUSTOM);
        endpoint("authorizationUri", f.authorizationUri(), custom, out);
        endpoint("tokenUri", f.tokenUri(), custom, out);
        endpoint("deviceUri", f.deviceUri(), false, out);
        if (custom) {
            out.addAll(o.commonProblems());
            return out;
        }
        Optional<MailProvider> provider = providers.find(f.providerId());
        if (provider.isEmpty()) {
            out.add(new FieldProblem("provider", "no provider '" + f.providerId() + "' is installed; installed: "
                    + providers.providers().stream().map(MailProvider::id).toList()
                    + ". Install its bundle from the update site or choose 'custom'."));
            return out;
        }
        out.addAll(provider.get().validate(o, f.transport()));
        // the preset's own endpoints too, so that a provider bundle cannot bring an http endpoint either
        if (f.authorizationUri().isEmpty()) {
            endpoint("authorizationUri", presetEndpoint(provider.get().preset().authorization()), false, out);
        }
        if (f.tokenUri().isEmpty()) {
            endpoint("tokenUri", presetEndpoint(provider.get().preset().token()), false, out);
        }
        if (f.deviceUri().isEmpty()) {
            provider.get().preset().device().ifPresent(d -> endpoint("deviceUri", presetEndpoint(d), false, out));
        }
        Set<String> known = new java.util.LinkedHashSet<>(provider.get().preset().knownScopes());
        // a transport of another resource (Graph) asks its own scopes of this provider
        transports.transport(f.transport()).ifPresent(t -> known.addAll(t.scopes(f.providerId(), List.copyOf(
                provider.get().preset().knownScopes()), o.appOnly())));
        for (String s : o.scopes()) {
            if (!known.contains(s) && !IDENTITY_SCOPES.contains(s)) {
                out.add(new FieldProblem("scopes", "unknown scope '" + s + "' for " + provider.get().displayName()
                        + ": use the preset's scopes " + known));
            }
        }
        return dedupe(out);
    }

    /** The flow's transport must be installed, and says what it needs of the flow. */
    private void transport(Flow f, List<FieldProblem> out) {
        MailTransport t;
        try {
            t = transports.requireTransport(f.transport());
        } catch (EnvoiException e) {
            out.add(new FieldProblem("transport", e.getMessage()));
            return;
        }
        out.addAll(t.validate(f));
    }

    private static List<FieldProblem> dedupe(List<FieldProblem> problems) {
        return new ArrayList<>(new java.util.LinkedHashSet<>(problems));
    }

    private static void server(String field, Optional<MailServer> server, List<FieldProblem> out) {
        server.filter(s -> s.endpoint().tls() == TlsMode.NONE && !s.isLoopback()).ifPresent(s -> out.add(
                new FieldProblem(field + ".security", "no TLS to " + s.endpoint().host() + " would send the token or"
                        + " password in clear: choose STARTTLS or TLS (no TLS is only for a server on this machine)")));
    }

    /** Scheme and host are what the rule looks at; the tenant (checked on its own) only fills the path. */
    private static Optional<URI> presetEndpoint(EndpointTemplate t) {
        return Optional.of(URI.create(t.template().replace(EndpointTemplate.TENANT, "tenant")));
    }

    private static void endpoint(String field, Optional<URI> uri, boolean required, List<FieldProblem> out) {
        if (uri.isEmpty()) {
            if (required) {
                out.add(new FieldProblem(field, "a custom flow needs this endpoint: copy it from the provider"));
            }
            return;
        }
        EndpointRule.problem(field, uri.get()).ifPresent(out::add);
    }

    @Override
    public void save(Flow flow, Optional<String> secret) {
        refuseIfInvalid(flow, "");
        clientChanging(flow);
        secret.filter(s -> !s.isEmpty()).ifPresent(s -> {
            vault.write(secretKey(flow), s);
            // after the secret: a crash in between leaves it bound to the previous endpoint, refused, never sent
            if (flow.type() == FlowType.OAUTH2) {
                vault.write(VaultKey.clientBinding(flow.id()), ClientBinding.of(FlowClients.client(flow, providers))
                        .encode());
            }
        });
        flows.save(flow);
    }

    /**
     * Before a stored flow gets another client ID or token endpoint: its sign-ins and secret stay bound to the
     * previous ones (marked, before the flow changes, so that a crash in between cannot hand them to the new one).
     */
    private void clientChanging(Flow flow) {
        if (flow.type() != FlowType.OAUTH2) {
            return;
        }
        Optional<Flow> old = flows.flow(flow.id()).filter(f -> f.type() == FlowType.OAUTH2);
        if (old.isEmpty()) {
            return;
        }
        OAuthClient before;
        try {
            before = FlowClients.client(old.get(), providers);
        } catch (RuntimeException e) {
            return; // the stored flow no longer resolves (provider removed): its entries are bound when used
        }
        OAuthClient after = FlowClients.client(flow, providers);
        if (!ClientBinding.of(before).equals(ClientBinding.of(after))) {
            tokens.clientChanged(before, after);
        }
    }

    @Override
    public boolean remove(String flowId) {
        // the entries first: a crash in between leaves a flow without secrets, never secrets without their flow
        for (VaultKey key : vault.keys(flowId)) {
            vault.delete(key);
        }
        return flows.remove(flowId);
    }

    @Override
    public boolean hasSecret(Flow flow) {
        if (vault.read(secretKey(flow)).isEmpty()) {
            return false;
        }
        if (flow.type() != FlowType.OAUTH2) {
            return true;
        }
        // a secret entered for another client ID or token endpoint must be entered again
        Optional<String> bound = vault.read(VaultKey.clientBinding(flow.id()));
        return bound.isEmpty() || ClientBinding.decode(bound.get()).equals(Optional.of(ClientBinding.of(
                FlowClients.client(flow, providers))));
    }

    private static VaultKey secretKey(Flow flow) {
        return flow.type() == FlowType.BASIC ? new VaultKey(VaultKey.PASSWORD, flow.id(), VaultKey.SHARED)
                : VaultKey.clientSecret(flow.id());
    }

    private void refuseIfInvalid(Flow flow, String prefix) {
        List<FieldProblem> problems = validate(flow);
        if (!problems.isEmpty()) {
            FieldProblem first = problems.get(0);
            StringBuilder all = new StringBuilder("The flow '" + flow.id() + "' cannot be saved: ");
            for (int i = 0; i < problems.size(); i++) {
                all.append(i == 0 ? "" : "; ").append(prefix).append(problems.get(i));
            }
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, prefix + first.field(), all.append('.').toString(),
                    null);
        }
    }

    @Override
    public String export() {
        return format.export(flows.flows());
    }

    @Override
    public List<Flow> importFlows(String json) {
        List<Flow> read = format.readExport(json);
        for (int i = 0; i < read.size(); i++) {
            refuseIfInvalid(read.get(i), "flows[" + i + "].");
        }
        for (Flow f : read) {
            clientChanging(f);
            flows.save(f);
        }
        return read;
    }

    @Override
    public Flow importGoogleClientJson(String flowId, String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw invalid("file", "the Google client file is not valid JSON: download it again from Google Cloud"
                    + " Console (APIs & Services > Credentials)");
        }
        if ("service_account".equals(root.path("type").asText())) {
            throw invalid("file", "this is a service account key: it cannot sign in a user to Gmail over SMTP/IMAP."
                    + " Create an OAuth client ID of type 'Desktop app' and import its JSON");
        }
        JsonNode client = root.get("installed");
        String redirect = "";
        if (client == null) {
            client = root.get("web");
            if (client == null) {
                throw invalid("file", "the file holds neither an 'installed' nor a 'web' client: import the JSON of an"
                        + " OAuth client ID of type 'Desktop app'");
            }
            redirect = loopbackRedirect(client).orElseThrow(() -> invalid("redirectUri", "this 'web' client has no"
                    + " loopback redirect URI, so Envoi cannot catch the consent; create a 'Desktop app' client or add"
                    + " http://127.0.0.1:PORT/ to its redirect URIs"));
        }
        String clientId = client.path("client_id").asText("");
        String secret = client.path("client_secret").asText("");
        if (clientId.isEmpty()) {
            throw invalid("clientId", "the file has no client_id: download the client's JSON again");
        }
        if (secret.isEmpty()) {
            throw invalid("clientSecret", "the file has no client_secret: download the client's JSON again");
        }
        for (String field : List.of("auth_uri", "token_uri")) {
            String u = client.path(field).asText("");
            if (!u.isEmpty() && !u.startsWith("https://accounts.google.com/") && !u.startsWith(
                    "https://oauth2.googleapis.com/")) {
                throw invalid(field, "'" + u + "' is not a Google endpoint: this is not a Google client file");
            }
        }
        MailProvider google = providers.require("google");
        ProviderPreset p = google.preset();
        List<String> scopes = p.flowScopes();
        Optional<Flow> existing = flows.flow(flowId);
        Flow flow = new Flow(flowId, existing.map(Flow::name).orElse("Gmail"), FlowType.OAUTH2, "google",
                new ProviderFields("", clientId, redirect, scopes, ConsentHost.LOOPBACK, false), Optional.empty(),
                Optional.empty(), Optional.empty(),
                existing.flatMap(Flow::smtp).or(() -> Optional.of(new MailServer(p.smtp(), MailServer.DEFAULT_TIMEOUT,
                        null))),
                existing.flatMap(Flow::imap).or(() -> Optional.of(new MailServer(p.imap(), MailServer.DEFAULT_TIMEOUT,
                        null))),
                existing.flatMap(Flow::pop), existing.map(Flow::username).orElse(""),
                existing.flatMap(Flow::genericAddress), existing.map(Flow::attachmentLimitBytes).orElse(25L << 20),
                existing.flatMap(Flow::secretExpiry));
        save(flow, Optional.of(secret));
        return flow;
    }

    private static Optional<String> loopbackRedirect(JsonNode client) {
        for (JsonNode r : client.path("redirect_uris")) {
            try {
                URI u = new URI(r.asText());
                if ("http".equals(u.getScheme()) && EndpointRule.isLoopbackHost(u.getHost())) {
                    return Optional.of(u.toString());
                }
            } catch (URISyntaxException e) {
                // not a usable redirect; look at the next one
            }
        }
        return Optional.empty();
    }

    @Override
    public SignInTarget signInTarget(String flowId, String operatorId) {
        Flow flow = flows.flow(flowId).orElseThrow(() -> invalid("id", "there is no flow '" + flowId + "'"));
        if (flow.type() != FlowType.OAUTH2) {
            throw invalid("type", "the flow '" + flow.name() + "' signs in with a password, not in a browser");
        }
        return new SignInTarget(FlowClients.client(flow, providers, vault), FlowClients.tokenOwner(flow, operatorId));
    }

    @Override
    public SignInTarget signInTarget(String flowId, String operatorId, String resource) {
        if (resource.isEmpty()) {
            return signInTarget(flowId, operatorId);
        }
        SignInTarget own = signInTarget(flowId, operatorId);
        Flow flow = flows.flow(flowId).orElseThrow();
        return FlowClients.storesOfOtherResources(flow, transports).stream().filter(s -> s.resource().equals(
                resource)).findFirst().map(s -> new SignInTarget(own.client().forResource(resource, s.scopes(flow)),
                        own.owner())).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_INPUT, "resource",
                                "The flow '" + flow.name() + "' needs no sign-in to '" + resource + "'; "
                                        + (otherResources(flowId).isEmpty() ? "its operators sign in once (no"
                                                + " --resource)." : "its other resources: " + otherResources(flowId)
                                                        + "."), null));
    }

    @Override
    public List<String> otherResources(String flowId) {
        return flows.flow(flowId).map(f -> FlowClients.storesOfOtherResources(f, transports).stream().map(
                org.envoi.api.files.FileStore::resource).distinct().sorted().toList()).orElse(List.of());
    }

    @Override
    public List<String> warnings(LocalDate today) {
        List<String> out = new ArrayList<>();
        for (Flow f : flows.flows()) {
            f.secretExpiryWarning(today).ifPresent(out::add);
        }
        return out;
    }

    private static EnvoiException invalid(String field, String sentence) {
        return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, field, field + ": " + sentence, null);
    }
}
