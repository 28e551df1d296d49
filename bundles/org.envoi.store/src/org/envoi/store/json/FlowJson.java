package org.envoi.store.json;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A flow as JSON: how the store keeps it and how flows are exported and imported. Never holds a secret (the client
 * secret and password are in the vault). Reading names the field at fault ({@code INVALID_FLOW_DATA}).
 */
public final class FlowJson {

    public static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private FlowJson() {
    }

    /**
     * Makes the reader ready: creating the first ObjectMapper (and initialising Jackson's classes) costs tens of
     * milliseconds. The store calls it on the thread that opens its database, so that the desktop's first list of
     * flows, read on the display's thread, does not pay it. The class's initialisation is the work.
     */
    public static void ready() {
        JSON.getTypeFactory();
    }

    public static ObjectNode toNode(Flow f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", f.id());
        n.put("name", f.name());
        n.put("type", f.type().name().toLowerCase(Locale.ROOT));
        n.put("provider", f.providerId());
        ProviderFields o = f.oauth();
        n.put("tenant", o.tenant());
        n.put("clientId", o.clientId());
        n.put("redirectUri", o.redirectUri());
        ArrayNode scopes = n.putArray("scopes");
        o.scopes().forEach(scopes::add);
        n.put("consent", o.consentHost().name().toLowerCase(Locale.ROOT));
        n.put("appOnly", o.appOnly());
        f.authorizationUri().ifPresent(u -> n.put("authorizationUri", u.toString()));
        f.tokenUri().ifPresent(u -> n.put("tokenUri", u.toString()));
        f.deviceUri().ifPresent(u -> n.put("deviceUri", u.toString()));
        f.smtp().ifPresent(s -> n.set("smtp", server(s)));
        f.imap().ifPresent(s -> n.set("imap", server(s)));
        f.pop().ifPresent(s -> n.set("pop", server(s)));
        n.put("username", f.username());
        f.genericAddress().ifPresent(a -> n.put("genericAddress", a));
        n.put("attachmentLimitBytes", f.attachmentLimitBytes());
        f.secretExpiry().ifPresent(d -> n.put("secretExpiry", d.toString()));
        n.put("transport", f.transport());
        ObjectNode settings = n.putObject("settings");
        f.settings().forEach(settings::put);
        return n;
    }

    public static String write(Flow f) {
        return toJson(toNode(f));
    }

    /** Flows as one JSON array (a list printed as JSON), secrets never included. */
    public static String writeList(List<Flow> flows) {
        ArrayNode a = JSON.createArrayNode();
        flows.forEach(f -> a.add(toNode(f)));
        return toJson(a);
    }

    /** The export file: {@code {"envoi": "flows", "format": 1, "flows": [...]}}, secrets never included. */
    public static String export(List<Flow> flows) {
        ObjectNode root = JSON.createObjectNode();
        root.put("envoi", "flows");
        root.put("format", FORMAT);
        ArrayNode a = root.putArray("flows");
        flows.forEach(f -> a.add(toNode(f)));
        return toJson(root);
    }

    /** Reads an export file; every flow is read before any is returned, so a bad one stops the whole import. */
    public static List<Flow> readExport(String json) {
        JsonNode root = parse(json, "the import file");
        if (!"flows".equals(root.path("envoi").asText()) || !root.path("flows").isArray()) {
            throw invalid("file", "this is not an Envoi flow export (it needs \"envoi\": \"flows\" and a \"flows\""
                    + " list): export the flows from Envoi and import that file");
        }
        if (root.path("format").asInt(0) > FORMAT) {
            throw invalid("format", "the file was written by a newer Envoi (format " + root.path("format").asInt()
                    + "): update Envoi to import it");
        }
        List<Flow> out = new ArrayList<>();
        for (JsonNode n : root.get("flows")) {
            out.add(read(n));
        }
        return out;
    }

    public static Flow read(String json) {
        return read(parse(json, "the flow"));
    }

    public static Flow read(JsonNode n) {
        String id = text(n, "id", null);
        if (id == null || id.isBlank()) {
            throw invalid("id", "a flow has no id: give it one (letters, digits, . _ @ + -)");
        }
        FlowType type = enumOf(FlowType.class, "type", text(n, "type", "oauth2"));
        ConsentHost consent = enumOf(ConsentHost.class, "consent", text(n, "consent", "loopback"));
        List<String> scopes = new ArrayList<>();
        n.path("scopes").forEach(s -> scopes.add(s.asText()));
        ProviderFields oauth = new ProviderFields(text(n, "tenant", ""), text(n, "clientId", ""),
                text(n, "redirectUri", ""), scopes, consent, n.path("appOnly").asBoolean(false));
        return new Flow(id, text(n, "name", id), type, text(n, "provider", "custom"), oauth, uri(n, "authorizationUri"),
                uri(n, "tokenUri"), uri(n, "deviceUri"), server(n, "smtp"), server(n, "imap"), server(n, "pop"),
                text(n, "username", ""), Optional.ofNullable(text(n, "genericAddress", null)).filter(s -> !s.isBlank()),
                n.path("attachmentLimitBytes").asLong(0), date(n, "secretExpiry"), transport(n), settings(n));
    }

    /** Lower case, no spaces, as transports name themselves; none (a file of an Envoi before transports): SMTP. */
    private static final java.util.regex.Pattern TRANSPORT_ID = java.util.regex.Pattern.compile("[a-z0-9._-]{1,64}");

    private static String transport(JsonNode n) {
        String t = text(n, "transport", null);
        if (t == null || t.isBlank()) {
            return null; // the Flow's default: smtp
        }
        if (!TRANSPORT_ID.matcher(t.strip()).matches()) {
            throw invalid("transport", "'" + t + "' is not a transport id: give the id of an installed transport, for"
                    + " example smtp or graph");
        }
        return t.strip();
    }

    private static java.util.Map<String, String> settings(JsonNode n) {
        JsonNode s = n.get("settings");
        if (s == null || s.isNull()) {
            return java.util.Map.of();
        }
        if (!s.isObject()) {
            throw invalid("settings", "the settings are not an object: write them as {\"key\": \"value\", ...}");
        }
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        for (var e : (Iterable<java.util.Map.Entry<String, JsonNode>>) s::fields) {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw invalid("settings." + e.getKey(), "the value is not a text, number or true/false: give one");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static ObjectNode server(MailServer s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("host", s.endpoint().host());
        n.put("port", s.endpoint().port());
        n.put("security", s.endpoint().tls().name().toLowerCase(Locale.ROOT));
        n.put("timeoutSeconds", s.timeout().toSeconds());
        if (s.trustedCertificates() != null) {
            n.put("trustedCertificates", s.trustedCertificates().toString());
        }
        return n;
    }

    private static Optional<MailServer> server(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        TlsMode tls = enumOf(TlsMode.class, field + ".security", text(n, "security", "starttls"));
        ServerEndpoint endpoint;
        try {
            endpoint = new ServerEndpoint(text(n, "host", ""), n.path("port").asInt(-1), tls);
        } catch (IllegalArgumentException e) {
            throw invalid(field, "the " + field.toUpperCase(Locale.ROOT) + " server is not valid: " + e.getMessage());
        }
        long timeout = n.path("timeoutSeconds").asLong(MailServer.DEFAULT_TIMEOUT.toSeconds());
        if (timeout < 1 || timeout > 3600) {
            throw invalid(field + ".timeoutSeconds", "the time-out " + timeout + " s is out of range: use 1 to 3600");
        }
        String ca = text(n, "trustedCertificates", null);
        return Optional.of(new MailServer(endpoint, Duration.ofSeconds(timeout), ca == null ? null : Path.of(ca)));
    }

    private static String text(JsonNode n, String field, String otherwise) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? otherwise : v.asText();
    }

    private static Optional<URI> uri(JsonNode n, String field) {
        String s = text(n, field, null);
        if (s == null || s.isBlank()) {
            return Optional.empty();
        }
        try {
            URI u = new URI(s.strip());
            if (u.getScheme() == null || u.getHost() == null) {
                throw invalid(field, "'" + s + "' is not an absolute URL: give https://host/path");
            }
            return Optional.of(u);
        } catch (java.net.URISyntaxException e) {
            throw invalid(field, "'" + s + "' is not a valid URL: " + e.getReason());
        }
    }

    private static Optional<LocalDate> date(JsonNode n, String field) {
        String s = text(n, field, null);
        if (s == null || s.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.parse(s.strip()));
        } catch (DateTimeParseException e) {
            throw invalid(field, "'" + s + "' is not a date: write it as YYYY-MM-DD");
        }
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String field, String value) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                allowed.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw invalid(field, "'" + value + "' is not one of " + String.join(", ", allowed));
        }
    }

    private static JsonNode parse(String json, String what) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw invalid("file", what + " is not valid JSON (" + e.getOriginalMessage() + ", line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
        }
    }

    private static String toJson(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static EnvoiException invalid(String field, String sentence) {
        return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, field, field + ": " + sentence,
                null);
    }
}
