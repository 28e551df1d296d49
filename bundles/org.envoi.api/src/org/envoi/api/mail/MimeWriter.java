package org.envoi.api.mail;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a mail as a MIME message (RFC 5322), exactly as the SMTP transport sends it: the same headers, Message-ID,
 * Bcc left out. Registered by {@code org.envoi.mail}; used by transports that take MIME (Microsoft Graph's
 * {@code sendMail} with a {@code text/plain} base64 body) so that every transport sends the same bytes.
 */
public interface MimeWriter {

    void write(OutgoingMail mail, OutputStream out) throws IOException;
}
