package org.envoi.transport.graph.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.MailFetcher.AfterFetch;
import org.envoi.api.diffusion.MailFetcher.Keeper;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailboxReader;
import org.osgi.service.component.annotations.Component;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads new mail of a Graph flow with message delta (https://learn.microsoft.com/en-us/graph/api/message-delta):
 * pages of {@code @odata.nextLink} up to the {@code @odata.deltaLink}, which is the mark kept for the next time; each
 * message's MIME from {@code $value} (https://learn.microsoft.com/en-us/graph/outlook-get-mime-message), streamed to
 * an owner-only spool file. Marking seen or moving on the server is not done: {@code after} other than nothing is
 * INVALID_INPUT.
 */
@Component(service = MailboxReader.class, property = MailboxReader.MAILBOX_ID + "=" + GraphTransport.ID)
public final class GraphMailboxReader implements MailboxReader {

    @Override
    public String id() {
        return GraphTransport.ID;
    }

    @Override
    public boolean forFlow(Flow flow) {
        // a flow that sends through Graph reads through Graph: its token is Graph's, which IMAP would refuse
        return GraphTransport.ID.equals(flow.transport());
    }

    private static String owner(MailRoute route) {
        // an app-only token has no "me": it names the mailbox
        return GraphHttp.mailbox(route.flow().oauth().appOnly() ? Optional.of(route.mailUser()) : Optional.empty());
    }

    @Override
    public List<FetchedMail> fetchNew(MailRoute route, String folder, FetchMarks marks, AfterFetch after,
            Keeper keeper, Path spool) {
        if (after != null && !after.isNothing()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, null, "Reading a mailbox through Microsoft Graph"
                    + " leaves its messages as they are: marking them seen or moving them is not supported. Fetch"
                    + " without those options.", null);
        }
        String base = GraphHttp.base(route.flow());
        String name = folder == null || folder.isBlank() ? "inbox" : folder.strip();
        String mailbox = "graph:" + route.flow().id() + ":" + route.mailUser() + ":" + name;
        Optional<String> mark = marks.textMark(mailbox);
        String first = mark.orElse(base + owner(route) + "/mailFolders/" + GraphHttp.segment(name)
                + "/messages/delta?$select=id,subject,from,internetMessageId");
        if (!sameOrigin(first, base)) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, GraphHttp.URL_KEY, "The mailbox " + name + " of "
                    + route.mailUser() + " was read through another Graph endpoint than the flow's " + GraphHttp.URL_KEY
                    + " (" + base + "): set it back, or have the administrator reset the mailbox's fetch mark.", null);
        }
        List<Path> files = new ArrayList<>();
        try {
            Path dir = privateDir(spool);
            Fetched got = GraphHttp.withToken(route, token -> {
                deleteAll(files); // a retry after a renewed token starts over
                return fetch(route, base, first, token, dir, files);
            });
            keeper.keep(got.mails);
            marks.saveTextMark(mailbox, got.deltaLink);
            return got.mails;
        } finally {
            deleteAll(files);
        }
    }

    private record Fetched(List<FetchedMail> mails, String deltaLink) {
    }

    private Fetched fetch(MailRoute route, String base, String first, String token, Path dir, List<Path> files) {
        List<FetchedMail> mails = new ArrayList<>();
        String link = first;
        while (true) {
            HttpResponse<String> page = GraphHttp.send(GraphHttp.request(link, token).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (page.statusCode() != 200) {
                throw GraphHttp.failure("the new mail of " + route.mailUser(), page, page.body(), route);
            }
            JsonNode body = GraphHttp.json(page.body());
            for (JsonNode m : body.path("value")) {
                if (m.has("@removed") || m.path("id").asText("").isEmpty()) {
                    continue; // deleted or moved away since the last delta: nothing to fetch
                }
                mails.add(download(route, base, token, m, dir, files));
            }
            String next = body.path("@odata.nextLink").asText("");
            String delta = body.path("@odata.deltaLink").asText("");
            if (!next.isEmpty()) {
                link = checked(next, base);
            } else if (!delta.isEmpty()) {
                return new Fetched(mails, checked(delta, base));
            } else {
                throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph's delta answer for "
                        + route.mailUser() + " has neither a next link nor a delta link; Envoi tries again later.",
                        null);
            }
        }
    }

    /** The message's MIME streamed to a new owner-only spool file. */
    private FetchedMail download(MailRoute route, String base, String token, JsonNode m, Path dir, List<Path> files) {
        String id = m.path("id").asText();
        Path file;
        try {
            file = Files.createTempFile(dir, "graph-", ".eml"); // owner-only on POSIX
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The spool folder " + dir
                    + " cannot take a fetched mail: " + e.getMessage(), e);
        }
        files.add(file);
        HttpResponse<Path> r = GraphHttp.send(GraphHttp.request(base + owner(route) + "/messages/"
                + GraphHttp.segment(id) + "/$value", token).GET().build(), HttpResponse.BodyHandlers.ofFile(file));
        if (r.statusCode() != 200) {
            String body;
            try {
                body = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw GraphHttp.failure("the message " + id + " of " + route.mailUser(), r, body, route);
        }
        try {
            byte[] head;
            try (InputStream in = Files.newInputStream(file)) {
                head = in.readNBytes(64 * 1024);
            }
            String subject = m.path("subject").isTextual() ? m.path("subject").asText()
                    : header(head, "Subject").orElse("");
            String messageId = header(head, "Message-ID").or(() -> Optional.ofNullable(m.path("internetMessageId")
                    .textValue())).orElse("").replaceAll("^\\s*<|>\\s*$", "");
            return new FetchedMail(id, messageId, header(head, "From").orElse(""), subject, Files.size(file),
                    () -> Files.newInputStream(file));
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "A fetched mail cannot be read back from the"
                    + " spool: " + e.getMessage(), e);
        }
    }

    @Override
    public int probe(MailRoute route) {
        String base = GraphHttp.base(route.flow());
        return GraphHttp.withToken(route, token -> {
            HttpResponse<String> r = GraphHttp.send(GraphHttp.request(base + owner(route)
                    + "/mailFolders/inbox?$select=id,totalItemCount", token).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw GraphHttp.failure("the test of the mailbox", r, r.body(), route);
            }
            return GraphHttp.json(r.body()).path("totalItemCount").asInt();
        });
    }

    /** Links Graph gives are followed only to the flow's endpoint: the token goes nowhere else. */
    private static String checked(String link, String base) {
        if (!sameOrigin(link, base)) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph answered a link to another"
                    + " host than " + URI.create(base).getHost() + "; Envoi did not follow it.", null);
        }
        return link;
    }

    private static boolean sameOrigin(String link, String base) {
        try {
            URI a = URI.create(link);
            URI b = URI.create(base);
            return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                    && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Path privateDir(Path spool) {
        try {
            if (!Files.isDirectory(spool)) {
                Files.createDirectories(spool);
                try {
                    Files.setPosixFilePermissions(spool, PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException e) {
                    // not POSIX: the data folder's own protection applies
                }
            }
            return spool;
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The spool folder " + spool
                    + " cannot be made: " + e.getMessage(), e);
        }
    }

    private static void deleteAll(List<Path> files) {
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a spool file left behind is owner-only, and the spool's owner clears old ones
            }
        }
        files.clear();
    }

    /** A header's unfolded value from the start of a MIME message. */
    static Optional<String> header(byte[] head, String name) {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            end = text.indexOf("\n\n");
        }
        for (String h : (end < 0 ? text : text.substring(0, end)).split("\r?\n(?![ \t])")) {
            if (h.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return Optional.of(h.substring(name.length() + 1).replaceAll("\r?\n[ \t]+", " ").strip());
            }
        }
        return Optional.empty();
    }
}
