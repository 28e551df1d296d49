package org.envoi.api.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * A file joined to a mail: its name as the recipient sees it, its MIME type and its bytes. With a content ID it is
 * shown inside an HTML body ({@code <img src="cid:ID">}) instead of listed as an attachment.
 */
public record Attachment(String fileName, String mimeType, byte[] content, Optional<String> contentId) {

    public Attachment {
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(mimeType, "mimeType");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(contentId, "contentId");
    }

    public Attachment(String fileName, String mimeType, byte[] content) {
        this(fileName, mimeType, content, Optional.empty());
    }

    /** An image shown inside the HTML body, referenced as {@code cid:contentId}. */
    public static Attachment inline(String fileName, String mimeType, byte[] content, String contentId) {
        return new Attachment(fileName, mimeType, content, Optional.of(contentId));
    }

    public boolean isInline() {
        return contentId.isPresent();
    }

    public long size() {
        return content.length;
    }

    @Override
    public String toString() {
        return "Attachment[" + fileName + ", " + mimeType + ", " + content.length + " bytes"
                + contentId.map(c -> ", inline " + c).orElse("") + "]";
    }
}
