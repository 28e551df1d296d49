package org.envoi.api.files;

import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.envoi.api.flow.Flow;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.transport.Logins;

/**
 * A place to store documents: {@code onedrive} ({@code org.envoi.files.onedrive})... Registered as an OSGi service with
 * the property {@value #STORE_ID}. A flow uses one for large files ({@value #LARGE_FILES}: attachments over its limit
 * go there and the mail carries their links) and/or kept copies ({@value #KEEP_COPIES}), by id in its settings.
 */
public interface FileStore {

    /** Service property carrying the store id. */
    String STORE_ID = "filestore.id";
    /** Flow setting: the file store that takes attachments over the flow's limit. */
    String LARGE_FILES = "files.large";
    /** Flow setting: the file store that keeps a copy of each document sent. */
    String KEEP_COPIES = "files.copies";

    String id();

    String displayName();

    /** The flow settings it reads (folder, link scope...). */
    List<FieldDescription> fields();

    List<FieldProblem> validate(Flow flow);

    /**
     * The token this store needs: its resource name (tokens are kept per flow, operator and resource) and scopes.
     * A store whose resource is the flow's transport's uses the flow's own sign-in.
     */
    String resource();

    List<String> scopes(Flow flow);

    /** Where one document goes. @param folder relative to the store's root, "/"-separated; empty for the flow's */
    record Target(Flow flow, String operatorId, Logins logins, String folder, String fileName) {
    }

    /** What was stored. @param id the store's own id of the file, @param webUrl where a signed-in user sees it */
    record StoredFile(String id, String name, long size, URI webUrl) {
    }

    /** Who a link lets in. */
    enum LinkScope {
        ORGANIZATION, ANONYMOUS
    }

    /**
     * Stores {@code size} bytes read from {@code content} (streamed: never held whole in memory), resuming after a cut
     * where the store allows it.
     *
     * @throws org.envoi.api.EnvoiException with the codes of a transport ({@code MAIL_UNAVAILABLE}: transient,
     *         try again; {@code MAIL_REJECTED}: refused for good; {@code MAIL_AUTH_FAILED}; {@code CONSENT_REQUIRED}),
     *         the store's reason and what to do
     */
    StoredFile store(Target target, InputStream content, long size);

    /**
     * A sharing link to a stored file. The store keeps to what the flow's settings allow: {@code scope} is narrowed to
     * the flow's, and the link expires at the earlier of {@code expiry} and the flow's own lifetime, where the store
     * supports it.
     */
    URI link(Target target, StoredFile file, LinkScope scope, Optional<Instant> expiry);
}
