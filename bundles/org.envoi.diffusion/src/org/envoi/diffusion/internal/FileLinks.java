package org.envoi.diffusion.internal;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.Attachment;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.TransportRegistry;

/**
 * Documents that go to a file store instead of, or beside, the mail: the attachments of a mail over the flow's limit
 * when the flow names a store for large files ({@link FileStore#LARGE_FILES}: the mail then carries their links, as
 * Outlook does with OneDrive), and the kept copy of a document when it names one for copies
 * ({@link FileStore#KEEP_COPIES}).
 */
final class FileLinks {

    /** Gives the login of a flow's operator for a store's token resource. */
    @FunctionalInterface
    interface StoreLogins {
        Logins logins(Flow flow, String operatorId, FileStore store);
    }

    /** One file put in the store, with its link. */
    record Linked(String fileName, long size, URI link) {
    }

    private final TransportRegistry registry;
    private final StoreLogins logins;

    FileLinks(TransportRegistry registry, StoreLogins logins) {
        this.registry = registry;
        this.logins = logins;
    }

    /** The store the flow names under {@code key}, if it names one. @throws EnvoiException when it is not installed */
    Optional<FileStore> store(Flow flow, String key) {
        String id = flow.settings().get(key);
        if (id == null || id.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(registry.fileStore(id).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA,
                key, "The flow '" + flow.name() + "' puts " + (key.equals(FileStore.LARGE_FILES) ? "large files"
                        : "kept copies") + " in '" + id + "', which is not installed: install its feature from the"
                        + " Envoi update site (category File stores), or choose none. Nothing was sent.", null)));
    }

    /**
     * Stores each file (inline images stay in the mail) and makes its link.
     *
     * @throws EnvoiException what the store threw (MAIL_UNAVAILABLE, MAIL_AUTH_FAILED, CONSENT_REQUIRED...): then
     *         nothing was queued, the caller sends again
     */
    List<Linked> storeAndLink(Flow flow, FileStore store, String operatorId, List<Attachment> files) {
        Logins login = logins.logins(flow, operatorId, store);
        List<Linked> out = new ArrayList<>();
        for (Attachment a : files) {
            // the store's own settings decide the folder (an empty one is the flow's), who the link lets in (at most
            // what the flow allows: the widest is asked) and how long it lasts
            FileStore.Target target = new FileStore.Target(flow, operatorId, login, "", a.fileName());
            FileStore.StoredFile stored = store.store(target, new ByteArrayInputStream(a.content()), a.size());
            out.add(new Linked(a.fileName(), a.size(), store.link(target, stored, FileStore.LinkScope.ANONYMOUS,
                    Optional.empty())));
        }
        return out;
    }

    /** Stores the kept copy of a document in the flow's folder; @return where it went */
    FileStore.StoredFile keepCopy(Flow flow, FileStore store, String operatorId, Attachment document) {
        FileStore.Target target = new FileStore.Target(flow, operatorId, logins.logins(flow, operatorId, store), "",
                document.fileName());
        return store.store(target, new ByteArrayInputStream(document.content()), document.size());
    }

    /** The body with the links after it: a list in HTML (before {@code </body>} when there is one), lines in text. */
    static String withLinks(String body, boolean html, List<Linked> links) {
        if (links.isEmpty()) {
            return body;
        }
        StringBuilder s = new StringBuilder();
        if (html) {
            s.append("<p>Files too large to attach / Fichiers trop volumineux pour être joints :</p><ul>");
            for (Linked l : links) {
                s.append("<li><a href=\"").append(escape(l.link().toString())).append("\">").append(escape(l
                        .fileName())).append("</a> (").append(size(l.size())).append(")</li>");
            }
            s.append("</ul>");
            int end = body.toLowerCase(Locale.ROOT).lastIndexOf("</body>");
            return end < 0 ? body + s : body.substring(0, end) + s + body.substring(end);
        }
        s.append("\n\nFiles too large to attach / Fichiers trop volumineux pour être joints :\n");
        for (Linked l : links) {
            s.append("- ").append(l.fileName()).append(" (").append(size(l.size())).append("): ").append(l.link())
                    .append('\n');
        }
        return body + s;
    }

    static String size(long bytes) {
        return bytes >= 1024 * 1024 ? String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024))
                : String.format(Locale.ROOT, "%d KB", Math.max(1, (bytes + 1023) / 1024));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
