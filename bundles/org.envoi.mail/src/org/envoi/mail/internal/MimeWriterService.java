package org.envoi.mail.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Properties;

import org.envoi.api.mail.MimeWriter;
import org.envoi.api.mail.OutgoingMail;
import org.osgi.service.component.annotations.Component;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/**
 * The MIME of a mail as {@link SmtpSender} puts it on the wire: {@link MimeBuilder}'s message written without the
 * headers Angus' SMTP transport leaves out (Bcc, Content-Length), so every transport sends the same bytes.
 */
@Component(service = MimeWriter.class)
public final class MimeWriterService implements MimeWriter {

    /** What {@code SMTPTransport.sendMessage} leaves out when it writes the message to DATA. */
    private static final String[] NOT_SENT = { "Bcc", "Content-Length" };

    @Override
    public void write(OutgoingMail mail, OutputStream out) throws IOException {
        MailClassLoader.<Void, IOException>call(() -> {
            try {
                MimeMessage m = MimeBuilder.build(Session.getInstance(new Properties()), mail);
                m.writeTo(out, NOT_SENT);
            } catch (MessagingException e) {
                throw new IOException("the mail " + mail.messageId() + " cannot be written as MIME: "
                        + e.getMessage(), e);
            }
            return null;
        });
    }
}
