package org.envoi.transport.graph.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MimeWriter;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Sends through Microsoft Graph (https://learn.microsoft.com/en-us/graph/api/user-sendmail): a mail whose request
 * stays under 4 MB goes whole as MIME (the bytes SMTP would send, from the {@link MimeWriter}); a bigger one as a draft
 * whose large files go up in upload sessions, then sent
 * (https://learn.microsoft.com/en-us/graph/outlook-large-attachments).
 */
@Component(service = MailTransport.class, property = MailTransport.TRANSPORT_ID + "=" + GraphTransport.ID)
public final class GraphTransport implements MailTransport {

    static final String ID = "graph";
    private static final String GRAPH = "https://graph.microsoft.com/";
    /** Graph's request limit (https://learn.microsoft.com/en-us/graph/errors, 413). */
    static final long MAX_REQUEST = 4L * 1024 * 1024;
    /** Files from 3 MB go in an upload session; smaller ones in a JSON attachment. */
    static final long SMALL_FILE = 3L * 1024 * 1024;
    /** Per file, through an upload session. */
    static final long MAX_FILE = 150L * 1024 * 1024;
    /** What the draft's own JSON may carry in attachments, leaving room for the rest under 4 MB. */
    private static final long DRAFT_BUDGET = 3L * 1024 * 1024;

    private final MimeWriter mimeWriter;

    @Activate
    public GraphTransport(@Reference MimeWriter mimeWriter) {
        this.mimeWriter = mimeWriter;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Microsoft Graph";
    }

    @Override
    public List<FieldDescription> fields() {
        return List.of(new FieldDescription(GraphHttp.URL_KEY, "Graph endpoint", FieldDescription.Kind.URL,
                GraphHttp.DEFAULT_URL, List.of(), "Microsoft Graph's v1.0 address; change it only for a national"
                        + " cloud (https://graph.microsoft.us/v1.0...)."));
    }

    @Override
    public List<FieldProblem> validate(Flow flow) {
        String v = flow.settings().getOrDefault(GraphHttp.URL_KEY, "");
        return GraphHttp.urlProblem(v.isBlank() ? GraphHttp.DEFAULT_URL : v).map(p -> List.of(new FieldProblem(
                GraphHttp.URL_KEY, p))).orElse(List.of());
    }

    /** Microsoft's flows ask for Graph's mail permissions; another provider's (a test server) keep their scopes. */
    /** Graph's tokens; OneDrive's file store shares them (one sign-in for sending, reading and files). */
    @Override
    public String resource() {
        return "graph";
    }

    @Override
    public List<String> scopes(String providerId, List<String> providerScopes, boolean appOnly) {
        if (!"microsoft".equals(providerId)) {
            return providerScopes;
        }
        return appOnly ? List.of(GRAPH + ".default")
                : List.of(GRAPH + "Mail.Send", GRAPH + "Mail.ReadWrite", GRAPH + "Mail.Read", "offline_access");
    }

    @Override
    public Connection connect(MailRoute route) {
        return new GraphConnection(route, GraphHttp.base(route.flow()));
    }

    /** Graph has no session: a connection is the route and its endpoint; each mail is its own calls. */
    private final class GraphConnection implements Connection {
        private final MailRoute route;
        private final String base;
        private volatile boolean open = true;

        GraphConnection(MailRoute route, String base) {
            this.route = route;
            this.base = base;
        }

        private boolean appOnly() {
            return route.flow().oauth().appOnly();
        }

        /** Where sendMail goes: the shared mailbox, an app-only flow's user, or the signed-in user. */
        private String sender() {
            return GraphHttp.mailbox(route.sharedMailbox().or(() -> appOnly() ? Optional.of(route.mailUser())
                    : Optional.empty()));
        }

        /** Where drafts go: the signed-in user's mailbox (sending as the shared one needs Send As only). */
        private String drafts() {
            return appOnly() ? sender() : "/me";
        }

        @Override
        public SendReceipt send(OutgoingMail mail) {
            if (!open) {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The Graph connection is closed.", null);
            }
            for (Attachment a : mail.attachments()) {
                if (a.size() > MAX_FILE) {
                    throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The mail " + mail.messageId()
                            + "'s attachment " + a.fileName() + " has " + a.size() + " bytes, over Microsoft Graph's"
                            + " 150 MB per file: send it smaller, or set the flow's large-file store.", null);
                }
            }
            byte[] small = smallRequest(mail);
            if (small == null && mail.mime().isPresent()) {
                // a relayed message is sent as it came: only sendMail takes MIME whole, and only under 4 MB
                throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The relayed message " + mail.messageId()
                        + " has " + mail.mime().get().length + " bytes: Microsoft Graph takes a message whole only"
                        + " under 4 MB (sendMail). Send it smaller, or relay it through a flow whose transport is"
                        + " SMTP.", null);
            }
            String what = "the mail " + mail.messageId();
            return GraphHttp.withToken(route, token -> small != null ? sendMime(token, mail, small, what)
                    : sendDraft(token, mail, what));
        }

        /** The sendMail body (base64 MIME) when it stays under 4 MB, else null. */
        private byte[] smallRequest(OutgoingMail mail) {
            if (mail.attachmentBytes() > SMALL_FILE) {
                return null; // its base64 alone is over 4 MB
            }
            // sendMail takes the recipients from the MIME headers: the blind copies go in a Bcc header, which Exchange
            // removes from what the recipients get (RFC 5322 3.6.3); the MimeWriter writes what SMTP sends (no Bcc)
            byte[] bcc = mail.bcc().isEmpty() ? new byte[0] : ("Bcc: " + String.join(",\r\n ", mail.bcc().stream()
                    .map(a -> a.replaceAll("[\\r\\n]", "")).toList()) + "\r\n").getBytes(StandardCharsets.UTF_8);
            long maxMime = (MAX_REQUEST - 4) / 4 * 3; // base64 of maxMime bytes stays under 4 MB
            Bounded out = new Bounded(maxMime);
            try {
                out.write(bcc);
                mimeWriter.write(mail, out);
            } catch (IOException e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof Bounded.Full) {
                        return null;
                    }
                }
                throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The mail " + mail.messageId()
                        + " cannot be built: " + e.getMessage(), e);
            }
            return Base64.getEncoder().encode(out.toByteArray());
        }

        private SendReceipt sendMime(String token, OutgoingMail mail, byte[] body, String what) {
            HttpResponse<String> r = GraphHttp.send(GraphHttp.request(base + sender() + "/sendMail", token)
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 202) {
                throw GraphHttp.failure(what, r, r.body(), route);
            }
            return new SendReceipt(mail.messageId(), "HTTP 202 Accepted (sendMail)");
        }

        /** A draft (JSON), its large files in upload sessions, then send. */
        private SendReceipt sendDraft(String token, OutgoingMail mail, String what) {
            List<Attachment> inDraft = new ArrayList<>();
            List<Attachment> posted = new ArrayList<>();
            List<Attachment> uploaded = new ArrayList<>();
            long budget = DRAFT_BUDGET;
            for (Attachment a : mail.attachments()) {
                long encoded = (a.size() + 2) / 3 * 4;
                if (a.size() >= SMALL_FILE) {
                    uploaded.add(a);
                } else if (encoded <= budget) {
                    inDraft.add(a);
                    budget -= encoded;
                } else {
                    posted.add(a);
                }
            }
            ObjectNode draft = GraphHttp.JSON.createObjectNode();
            draft.put("subject", mail.subject());
            draft.putObject("body").put("contentType", mail.html() ? "html" : "text").put("content", mail.body());
            recipients(draft, "toRecipients", mail.to());
            recipients(draft, "ccRecipients", mail.cc());
            recipients(draft, "bccRecipients", mail.bcc());
            draft.putObject("from").putObject("emailAddress").put("address", mail.from());
            // the Message-ID chosen when the mail was queued, as SMTP keeps it (writable while isDraft)
            draft.put("internetMessageId", "<" + mail.messageId() + ">");
            draft.put("importance", mail.priority().name().toLowerCase());
            if (mail.readReceiptTo().isPresent()) {
                draft.put("isReadReceiptRequested", true);
            }
            if (!inDraft.isEmpty()) {
                ArrayNode list = draft.putArray("attachments");
                inDraft.forEach(a -> list.add(fileAttachment(a)));
            }
            HttpResponse<String> created = post(base + drafts() + "/messages", token, draft);
            if (created.statusCode() != 201) {
                throw GraphHttp.failure(what + " (draft)", created, created.body(), route);
            }
            String id = GraphHttp.json(created.body()).path("id").asText("");
            if (id.isEmpty()) {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph created no draft for "
                        + what + " (no id in its answer); Envoi tries again later.", null);
            }
            String message = base + drafts() + "/messages/" + GraphHttp.segment(id);
            for (Attachment a : posted) {
                HttpResponse<String> r = post(message + "/attachments", token, fileAttachment(a));
                if (r.statusCode() != 201) {
                    throw GraphHttp.failure(what + " (attachment " + a.fileName() + ")", r, r.body(), route);
                }
            }
            for (Attachment a : uploaded) {
                upload(token, message, a, what);
            }
            HttpResponse<String> sent = GraphHttp.send(GraphHttp.request(message + "/send", token)
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (sent.statusCode() != 202) {
                throw GraphHttp.failure(what, sent, sent.body(), route);
            }
            return new SendReceipt(mail.messageId(), "HTTP 202 Accepted (draft " + mail.attachments().size()
                    + " attachment(s), " + uploaded.size() + " uploaded)");
        }

        /**
         * attachment-createuploadsession, then PUTs of at most 4 MB in order, straight from the attachment's bytes and
         * with no Authorization header: the upload URL carries its own ("Don't specify an Authorization request
         * header", outlook-large-attachments).
         */
        private void upload(String token, String message, Attachment a, String what) {
            ObjectNode item = GraphHttp.JSON.createObjectNode();
            ObjectNode ai = item.putObject("AttachmentItem");
            ai.put("attachmentType", "file").put("name", a.fileName()).put("size", a.size())
                    .put("contentType", a.mimeType());
            a.contentId().ifPresent(c -> ai.put("isInline", true).put("contentId", c));
            HttpResponse<String> s = post(message + "/attachments/createUploadSession", token, item);
            if (s.statusCode() != 201) {
                throw GraphHttp.failure(what + " (upload of " + a.fileName() + ")", s, s.body(), route);
            }
            String url = GraphHttp.json(s.body()).path("uploadUrl").asText("");
            if (!url.startsWith("https://") && !(url.startsWith("http://") && base.startsWith("http://"))) {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph gave no usable upload URL"
                        + " for " + a.fileName() + " of " + what + "; Envoi tries again later.", null);
            }
            byte[] content = a.content();
            long total = content.length;
            int chunk = (int) MAX_REQUEST;
            for (int start = 0; start < total; start += chunk) {
                int len = (int) Math.min(chunk, total - start);
                HttpResponse<String> r = GraphHttp.send(GraphHttp.request(url, null)
                        .header("Content-Range", "bytes " + start + "-" + (start + len - 1) + "/" + total)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(content, start, len)).build(),
                        HttpResponse.BodyHandlers.ofString());
                boolean last = start + len == total;
                if (r.statusCode() == 401) {
                    // the upload URL carries its own authorization: not the token's fault, no renewal
                    throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The upload session of "
                            + a.fileName() + " for " + what + " refused its bytes (HTTP 401, expired?); Envoi sends"
                            + " the mail again later.", null);
                }
                if (!(last ? r.statusCode() == 201 || r.statusCode() == 200 : r.statusCode() == 200)) {
                    throw GraphHttp.failure(what + " (upload of " + a.fileName() + ", bytes " + start + "-"
                            + (start + len - 1) + ")", r, r.body(), route);
                }
            }
        }

        private HttpResponse<String> post(String url, String token, JsonNode body) {
            byte[] json;
            try {
                json = GraphHttp.JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return GraphHttp.send(GraphHttp.request(url, token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** One real authenticated GET that sends nothing: the inbox folder (mailfolder-get). */
        @Override
        public String probe(String from) {
            return GraphHttp.withToken(route, token -> {
                HttpResponse<String> r = GraphHttp.send(GraphHttp.request(base + drafts()
                        + "/mailFolders/inbox?$select=id,totalItemCount", token).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw GraphHttp.failure("the test of the flow", r, r.body(), route);
                }
                return "HTTP 200: Microsoft Graph accepted the token of " + route.mailUser() + " (inbox: "
                        + GraphHttp.json(r.body()).path("totalItemCount").asLong() + " messages)";
            });
        }

        @Override
        public boolean isConnected() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private static void recipients(ObjectNode message, String name, List<String> addresses) {
        if (!addresses.isEmpty()) {
            ArrayNode list = message.putArray(name);
            addresses.forEach(a -> list.addObject().putObject("emailAddress").put("address", a));
        }
    }

    private static ObjectNode fileAttachment(Attachment a) {
        ObjectNode o = GraphHttp.JSON.createObjectNode();
        o.put("@odata.type", "#microsoft.graph.fileAttachment").put("name", a.fileName())
                .put("contentType", a.mimeType()).put("contentBytes", a.content());
        a.contentId().ifPresent(c -> o.put("isInline", true).put("contentId", c));
        return o;
    }

    /** Memory for a small request only: past its limit the mail goes as a draft instead. */
    private static final class Bounded extends OutputStream {
        /** Thrown through the MIME writer when the limit is reached. */
        static final class Full extends IOException {
            private static final long serialVersionUID = 1L;
        }

        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        private final long limit;

        Bounded(long limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (bytes.size() + 1 > limit) {
                throw new Full();
            }
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (bytes.size() + (long) len > limit) {
                throw new Full();
            }
            bytes.write(b, off, len);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
