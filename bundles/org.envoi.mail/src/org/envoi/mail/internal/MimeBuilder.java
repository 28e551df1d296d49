package org.envoi.mail.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutgoingMail;

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
        if (mail.attachments().isEmpty()) {
            m.setText(mail.body(), StandardCharsets.UTF_8.name(), subtype);
        } else {
            MimeMultipart mixed = new MimeMultipart("mixed");
            MimeBodyPart text = new MimeBodyPart();
            text.setText(mail.body(), StandardCharsets.UTF_8.name(), subtype);
            mixed.addBodyPart(text);
            for (Attachment a : mail.attachments()) {
                MimeBodyPart part = new MimeBodyPart();
                part.setDataHandler(new DataHandler(new ByteArrayDataSource(a.content(), a.mimeType())));
                part.setFileName(a.fileName());
                part.setDisposition(MimeBodyPart.ATTACHMENT);
                mixed.addBodyPart(part);
            }
            m.setContent(mixed);
        }
        m.saveChanges();
        return m;
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
