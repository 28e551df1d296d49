package org.envoi.api.mail;

import java.util.Objects;

/** A file joined to a mail: its name as the recipient sees it, its MIME type and its bytes. */
public record Attachment(String fileName, String mimeType, byte[] content) {

    public Attachment {
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(mimeType, "mimeType");
        Objects.requireNonNull(content, "content");
    }

    public long size() {
        return content.length;
    }

    @Override
    public String toString() {
        return "Attachment[" + fileName + ", " + mimeType + ", " + content.length + " bytes]";
    }
}
