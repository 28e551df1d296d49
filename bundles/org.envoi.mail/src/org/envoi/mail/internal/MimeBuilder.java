package org.envoi.mail.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutgoingMail;

import org.eclipse.angus.mail.smtp.SMTPMessage;

import jakarta.activation.DataHandler;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;

/** Turns an {@link OutgoingMail} into a MIME message with the ERP's options as headers. */
final class MimeBuilder {

    private MimeBuilder() {
    }

    static MimeMessage build(Session session, OutgoingMail mail) throws MessagingException {
        if (mail.mime().isPresent()) {
            // a relayed message goes as it came (its Message-ID, its headers); the envelope is the mail's
            SMTPMessage m = new SMTPMessage(session, new ByteArrayInputStream(mail.mime().get()));
            m.setEnvelopeFrom(mail.from());
            return m;
        }
        String subject = mail.subject();
        if (subject.indexOf('\r') >= 0 || subject.indexOf('\n') >= 0) {
            throw new MessagingException("the subject holds a line break, which could inject headers");
        }
        MimeMessage m = new StableIdMessage(session, mail.messageId());
        m.setFrom(new InternetAddress(mail.from(), true));
        m.setRecipients(RecipientType.TO, addresses(mail.to()));
        m.setRecipients(RecipientType.CC, addresses(mail.cc()));
        m.setRecipients(RecipientType.BCC, addresses(mail.bcc()));
        m.setSubject(subject, StandardCharsets.UTF_8.name());
        m.setSentDate(new java.util.Date());
        switch (mail.priority()) {
            case HIGH -> {
                m.setHeader("X-Priority", "1 (Highest)");
                m.setHeader("Importance", "high");
            }
            case LOW -> {
                m.setHeader("X-Priority", "5 (Lowest)");
                m.setHeader("Importance", "low");
            }
            case NORMAL -> { }
        }
        if (mail.readReceiptTo().isPresent()) {
            m.setHeader("Disposition-Notification-To", new InternetAddress(mail.readReceiptTo().get(), true).toString());
        }
        String subtype = mail.html() ? "html" : "plain";
        List<Attachment> inline = mail.html() ? mail.attachments().stream().filter(Attachment::isInline).toList()
                : List.of();
        List<Attachment> attached = mail.attachments().stream().filter(a -> !inline.contains(a)).toList();
        MimeBodyPart text = new MimeBodyPart();
        text.setText(mail.body(), StandardCharsets.UTF_8.name(), subtype);
        MimeBodyPart body = text;
        MimeMultipart related = null;
        if (!inline.isEmpty()) {
            // multipart/related: the HTML and the images it shows by cid:
            related = new MimeMultipart("related");
            related.addBodyPart(text);
            for (Attachment a : inline) {
                MimeBodyPart part = part(a);
                part.setContentID("<" + a.contentId().get() + ">");
                part.setDisposition(MimeBodyPart.INLINE);
                related.addBodyPart(part);
            }
            body = new MimeBodyPart();
            body.setContent(related);
        }
        if (attached.isEmpty()) {
            if (related == null) {
                m.setText(mail.body(), StandardCharsets.UTF_8.name(), subtype);
            } else {
                m.setContent(related);
            }
        } else {
            MimeMultipart mixed = new MimeMultipart("mixed");
            mixed.addBodyPart(body);
            for (Attachment a : attached) {
                MimeBodyPart part = part(a);
                part.setDisposition(MimeBodyPart.ATTACHMENT);
                mixed.addBodyPart(part);
            }
            m.setContent(mixed);
        }
        m.saveChanges();
        return m;
    }

    private static MimeBodyPart part(Attachment a) throws MessagingException {
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(a.content(), a.mimeType())));
        part.setFileName(a.fileName());
        // base64 always: a file that happens to be plain ASCII would otherwise go as 7bit and have its line ends
        // rewritten to CRLF on the way; a document must arrive byte for byte
        part.setHeader("Content-Transfer-Encoding", "base64");
        return part;
    }

    /** The envelope's recipients (RCPT TO): To, Cc and the blind copies. */
    static InternetAddress[] envelope(OutgoingMail mail) throws MessagingException {
        List<String> all = new java.util.ArrayList<>(mail.to());
        all.addAll(mail.cc());
        all.addAll(mail.bcc());
        return addresses(all);
    }

    private static InternetAddress[] addresses(List<String> list) throws MessagingException {
        InternetAddress[] out = new InternetAddress[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new InternetAddress(list.get(i), true);
        }
        return out;
    }

    /** Keeps the Message-ID chosen when the mail was queued: the same mail sent again is recognizable as such. */
    private static final class StableIdMessage extends MimeMessage {
        private final String id;

        StableIdMessage(Session session, String id) {
            super(session);
            this.id = id;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", "<" + id + ">");
        }
    }
}
