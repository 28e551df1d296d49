package org.envoi.files.onedrive.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.provider.EndpointRule;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldDescription.Kind;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.transport.RetryLater;
import org.osgi.service.component.annotations.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OneDrive / SharePoint through Microsoft Graph v1.0: a document goes up in a resumable upload session
 * (https://learn.microsoft.com/en-us/graph/api/driveitem-createuploadsession) into the signed-in user's drive, and
 * {@code createLink} (https://learn.microsoft.com/en-us/graph/api/driveitem-createlink) gives its view link. Stateless
 * and thread-safe: the settings come with each call's flow.
 */
@Component(service = FileStore.class, property = FileStore.STORE_ID + "=" + OneDriveStore.ID)
public final class OneDriveStore implements FileStore {

    public static final String ID = "onedrive";

    static final String GRAPH_URL = "graph.url";
    static final String FOLDER = "files.folder";
    static final String LINK_SCOPE = "files.linkScope";
    static final String LINK_EXPIRY_DAYS = "files.linkExpiryDays";

    static final String DEFAULT_GRAPH = "https://graph.microsoft.com/v1.0";
    static final String DEFAULT_FOLDER = "Envoi";
    static final String FILES_SCOPE = "https://graph.microsoft.com/Files.ReadWrite";
    static final int MAX_EXPIRY_DAYS = 3650;

    // characters OneDrive and SharePoint refuse in a name (Microsoft support: "Restrictions and limitations in
    // OneDrive and SharePoint", invalid characters)
    private static final Pattern FORBIDDEN = Pattern.compile("[\"*:<>?\\\\|\\x00-\\x1f]");

    private static final List<FieldDescription> FIELDS = List.of(
            new FieldDescription(GRAPH_URL, "Graph endpoint", Kind.URL, DEFAULT_GRAPH, List.of(),
                    "Microsoft Graph's address; change it only for a national cloud (https, or http to this machine)."),
            new FieldDescription(FOLDER, "OneDrive folder", Kind.TEXT, DEFAULT_FOLDER, List.of(),
                    "The folder of the signed-in user's OneDrive that receives the documents, '/'-separated."),
            new FieldDescription(LINK_SCOPE, "Who opens the links", Kind.CHOICE, "organization",
                    List.of("organization", "anonymous"),
                    "organization: people signed in to your tenant; anonymous: anyone with the link, where the"
                            + " SharePoint administrator allows it."),
            new FieldDescription(LINK_EXPIRY_DAYS, "Link expiry (days)", Kind.NUMBER, "", List.of(),
                    "Optional: the links stop working after this many days (empty: as the tenant's policy says)."));

    private static final ObjectMapper JSON = new ObjectMapper();

    // HTTP/1.1: fragments are plain sequential PUTs; no redirects (an Authorization header never follows one)
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NEVER).build();

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "OneDrive / SharePoint";
    }

    @Override
    public List<FieldDescription> fields() {
        return FIELDS;
    }

    /** What a flow's settings say, each value checked. */
    record Settings(URI graph, List<String> folder, LinkScope scope, OptionalInt expiryDays) {
    }

    @Override
    public List<FieldProblem> validate(Flow flow) {
        List<FieldProblem> problems = new ArrayList<>();
        parse(flow, problems);
        return problems;
    }

    private static Settings parse(Flow flow, List<FieldProblem> problems) {
        if (flow.type() != FlowType.OAUTH2) {
            problems.add(new FieldProblem("type", "OneDrive needs an OAuth2 flow (a Graph token): switch the flow to"
                    + " OAUTH2"));
        } else if (flow.oauth().appOnly()) {
            problems.add(new FieldProblem("appOnly", "OneDrive stores into the signed-in user's drive (/me/drive):"
                    + " an app-only flow has no user; use a delegated flow"));
        }
        String rawUrl = setting(flow, GRAPH_URL, DEFAULT_GRAPH);
        URI graph = null;
        try {
            graph = new URI(rawUrl.endsWith("/") ? rawUrl.substring(0, rawUrl.length() - 1) : rawUrl);
            Optional<FieldProblem> p = EndpointRule.problem(GRAPH_URL, graph);
            if (p.isPresent()) {
                problems.add(p.get());
                graph = null;
            }
        } catch (URISyntaxException e) {
            problems.add(new FieldProblem(GRAPH_URL, "'" + rawUrl + "' is not a valid URL: " + e.getReason()
                    + "; use " + DEFAULT_GRAPH));
        }
        String rawFolder = setting(flow, FOLDER, DEFAULT_FOLDER);
        List<String> folder = folder(rawFolder);
        if (folder == null) {
            problems.add(new FieldProblem(FOLDER, "'" + rawFolder + "' is not a OneDrive folder: use names separated"
                    + " by '/', without . or .. and without \" * : < > ? \\ |"));
        }
        String rawScope = setting(flow, LINK_SCOPE, "organization").toLowerCase(Locale.ROOT);
        LinkScope scope = switch (rawScope) {
            case "organization" -> LinkScope.ORGANIZATION;
            case "anonymous" -> LinkScope.ANONYMOUS;
            default -> {
                problems.add(new FieldProblem(LINK_SCOPE, "'" + rawScope + "' is not a link scope: use organization"
                        + " (people of your tenant) or anonymous (anyone with the link)"));
                yield null;
            }
        };
        String rawDays = setting(flow, LINK_EXPIRY_DAYS, "");
        OptionalInt days = OptionalInt.empty();
        if (!rawDays.isEmpty()) {
            try {
                int d = Integer.parseInt(rawDays);
                if (d < 1 || d > MAX_EXPIRY_DAYS) {
                    throw new NumberFormatException();
                }
                days = OptionalInt.of(d);
            } catch (NumberFormatException e) {
                problems.add(new FieldProblem(LINK_EXPIRY_DAYS, "'" + rawDays + "' is not a number of days: give"
                        + " 1 to " + MAX_EXPIRY_DAYS + ", or leave it empty for links that follow the tenant's"
                        + " policy"));
            }
        }
        return new Settings(graph, folder, scope, days);
    }

    private static String setting(Flow flow, String key, String fallback) {
        String v = flow.settings().get(key);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    /** The folder's names, or null when OneDrive would refuse one. "/" alone is the drive's root. */
    static List<String> folder(String raw) {
        List<String> names = new ArrayList<>();
        for (String n : raw.split("/")) {
            if (n.isEmpty()) {
                continue;
            }
            if (n.equals(".") || n.equals("..") || FORBIDDEN.matcher(n).find() || !n.equals(n.strip())) {
                return null;
            }
            names.add(n);
        }
        return names;
    }

    /** The settings, or INVALID_FLOW_DATA naming the first bad field. */
    private static Settings settings(Flow flow) {
        List<FieldProblem> problems = new ArrayList<>();
        Settings s = parse(flow, problems);
        if (!problems.isEmpty()) {
            FieldProblem p = problems.get(0);
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, p.field(), "flow '" + flow.name() + "', "
                    + p.field() + ": " + p.message(), null);
        }
        return s;
    }

    @Override
    public String resource() {
        return "graph";
    }

    @Override
    public List<String> scopes(Flow flow) {
        if ("microsoft".equals(flow.providerId())) {
            return List.of(FILES_SCOPE, "offline_access");
        }
        return flow.oauth().scopes(); // a custom provider names its own (the contract server's in the tests)
    }

    // --- store -----------------------------------------------------------------------------------------------------

    @Override
    public StoredFile store(Target target, InputStream content, long size) {
        Settings s = settings(target.flow());
        if (size <= 0) {
            throw new EnvoiException(ErrorCode.MAIL_REJECTED, "'" + target.fileName() + "' is empty: OneDrive's"
                    + " upload sessions take at least one byte; attach it to the mail instead");
        }
        List<String> path = new ArrayList<>(target.folder() == null || target.folder().isBlank() ? s.folder()
                : Optional.ofNullable(folder(target.folder())).orElseThrow(() -> new EnvoiException(
                        ErrorCode.INVALID_FLOW_DATA, FOLDER, "'" + target.folder() + "' is not a OneDrive folder: use"
                                + " names separated by '/', without . or .. and without \" * : < > ? \\ |", null)));
        String name = fileName(target.fileName());
        path.add(name);
        StringBuilder encoded = new StringBuilder();
        for (String p : path) {
            encoded.append('/').append(URLEncoder.encode(p, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        URI create = URI.create(s.graph() + "/me/drive/root:" + encoded + ":/createUploadSession");
        // rename, not replace: two documents of the same name (two "facture.pdf" a day) must both stay, and a link
        // already sent must keep giving the document it was sent with
        ObjectNode item = JSON.createObjectNode();
        item.putObject("item").put("@microsoft.graph.conflictBehavior", "rename").put("name", name);
        JsonNode session = target.logins().withRenewal(login -> call(login, create, item,
                "creating the upload session of '" + name + "'"));
        URI uploadUrl = uploadUrl(session);
        JsonNode done = new FragmentUpload(this, uploadUrl, size, name).send(content);
        String id = done.path("id").asText("");
        if (id.isEmpty()) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive finished the upload of '" + name
                    + "' without naming the file it made; try again");
        }
        String webUrl = done.path("webUrl").asText("");
        return new StoredFile(id, done.path("name").asText(name), done.path("size").asLong(size),
                webUrl.isEmpty() ? null : URI.create(webUrl));
    }

    /** A name OneDrive takes: its forbidden characters become '_'. */
    static String fileName(String raw) {
        String n = FORBIDDEN.matcher(raw == null ? "" : raw.replace('/', '_')).replaceAll("_").strip();
        return n.isEmpty() || n.equals(".") || n.equals("..") ? "document" : n;
    }

    private static URI uploadUrl(JsonNode session) {
        String raw = session.path("uploadUrl").asText("");
        try {
            URI u = new URI(raw);
            if (u.isAbsolute() && EndpointRule.problem(u).isEmpty()) {
                return u;
            }
        } catch (URISyntaxException e) {
            // said below
        }
        throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive's upload session has no usable upload URL;"
                + " try again");
    }

    // --- link ------------------------------------------------------------------------------------------------------

    @Override
    public URI link(Target target, StoredFile file, LinkScope scope, Optional<Instant> expiry) {
        Settings s = settings(target.flow());
        // the flow's setting is what the administrator allows: a caller never widens it
        LinkScope effective = scope == LinkScope.ANONYMOUS && s.scope() == LinkScope.ANONYMOUS ? LinkScope.ANONYMOUS
                : LinkScope.ORGANIZATION;
        Optional<Instant> until = expiry;
        if (s.expiryDays().isPresent()) {
            Instant flows = Instant.now().plus(s.expiryDays().getAsInt(), ChronoUnit.DAYS);
            until = Optional.of(until.filter(u -> u.isBefore(flows)).orElse(flows));
        }
        ObjectNode body = JSON.createObjectNode().put("type", "view").put("scope",
                effective.name().toLowerCase(Locale.ROOT));
        // createLink's format: yyyy-MM-ddTHH:mm:ssZ
        until.ifPresent(u -> body.put("expirationDateTime", u.truncatedTo(ChronoUnit.SECONDS).toString()));
        URI create = URI.create(s.graph() + "/me/drive/items/" + URLEncoder.encode(file.id(), StandardCharsets.UTF_8)
                + "/createLink");
        JsonNode permission = target.logins().withRenewal(login -> call(login, create, body,
                "creating the sharing link of '" + file.name() + "'"));
        String url = permission.path("link").path("webUrl").asText("");
        if (url.isEmpty()) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive answered without a link for '"
                    + file.name() + "'; try again");
        }
        return URI.create(url);
    }

    // --- HTTP ------------------------------------------------------------------------------------------------------

    /** A Graph call with the bearer token, its JSON answer or the EnvoiException its status means. */
    private JsonNode call(MailLogin login, URI uri, JsonNode body, String what) {
        if (!(login instanceof MailLogin.Bearer bearer)) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "type", "OneDrive needs an OAuth2 flow (a Graph"
                    + " token), not a password", null);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer.token()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> r = send(request, what);
        if (r.statusCode() / 100 != 2) {
            throw failure(r, what);
        }
        return json(r.body());
    }

    HttpResponse<String> send(HttpRequest request, String what) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "OneDrive could not be reached while " + what
                    + " (" + e.getClass().getSimpleName() + "); try again later", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "interrupted while " + what);
        }
    }

    HttpClient http() {
        return http;
    }

    static JsonNode json(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /**
     * What a refusal means (https://learn.microsoft.com/en-us/graph/errors): 401 a token to renew, 429/503 come back
     * at Retry-After (https://learn.microsoft.com/en-us/graph/throttling), other 5xx transient, 4xx refused for good,
     * with Graph's error code and what to do.
     */
    static EnvoiException failure(HttpResponse<String> r, String what) {
        JsonNode error = json(r.body()).path("error");
        String code = error.path("code").asText("HTTP " + r.statusCode());
        String message = error.path("message").asText("");
        String said = code + (message.isEmpty() ? "" : ": " + message);
        int status = r.statusCode();
        if (status == 401) {
            return new EnvoiException(ErrorCode.MAIL_AUTH_FAILED, "Microsoft Graph refused the token while " + what
                    + " (" + said + "): sign in again");
        }
        if (status == 429 || status == 503) {
            return new RetryLater("OneDrive is busy (" + said + ") while " + what + ": Envoi tries again when it says",
                    retryAfter(r));
        }
        if (status >= 500) {
            return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, "OneDrive failed while " + what + " (" + said
                    + "); try again later");
        }
        String todo = switch (status) {
            case 403 -> "grant the app the delegated Microsoft Graph permission Files.ReadWrite (admin consent where"
                    + " the tenant asks for it), then sign in again";
            case 404 -> "check the flow's " + FOLDER + " and that the user has a OneDrive (a licence, and OneDrive"
                    + " opened once)";
            case 409 -> "a file of that name is in the way: rename or move it in OneDrive";
            case 413 -> "the file is over OneDrive's limit: send a smaller one";
            case 507 -> "the OneDrive is full: free space or raise its quota";
            default -> "check the flow's OneDrive settings (" + GRAPH_URL + ", " + FOLDER + ", " + LINK_SCOPE + ")";
        };
        return new EnvoiException(ErrorCode.MAIL_REJECTED, "OneDrive refused " + what + " (" + status + " " + said
                + "): " + todo);
    }

    /** Retry-After in seconds or as an HTTP date; a minute when absent. */
    static Duration retryAfter(HttpResponse<?> r) {
        String h = r.headers().firstValue("Retry-After").orElse("").strip();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(h)));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(Instant.now(), ZonedDateTime.parse(h,
                        DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException e2) {
                return Duration.ofMinutes(1);
            }
        }
    }
}
