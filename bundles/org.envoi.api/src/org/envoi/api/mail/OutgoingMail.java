package org.envoi.api.mail;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One mail as the ERP asks for it. The Message-ID is chosen before the mail is queued and never changes, so that a
 * mail sent again after a crash can be recognized.
 *
 * @param messageId the Message-ID without angle brackets, for example {@code 8f1c…@envoi}
 * @param from the sender (the operator, or the shared mailbox of a generic flow)
 * @param to recipients
 * @param cc copy recipients
 * @param bcc blind copies (the sender's own address when "copy to sender" is on)
 * @param subject subject, one line
 * @param body the text
 * @param html true when {@code body} is HTML
 * @param priority X-Priority and Importance
 * @param readReceiptTo where the read receipt goes (Disposition-Notification-To), if asked
 * @param attachments files
 * @param mime the message exactly as a client submitted it to the relay ({@link #relayed}): sent byte for byte, to
 *        the recipients above (the envelope: Bcc included) and from {@code from}; empty for a mail Envoi builds
 */
public record OutgoingMail(String messageId, String from, List<String> to, List<String> cc, List<String> bcc,
        String subject, String body, boolean html, Priority priority, Optional<String> readReceiptTo,
        List<Attachment> attachments, Optional<byte[]> mime) {

    /** A mail Envoi builds from its parts. */
    public OutgoingMail(String messageId, String from, List<String> to, List<String> cc, List<String> bcc,
            String subject, String body, boolean html, Priority priority, Optional<String> readReceiptTo,
            List<Attachment> attachments) {
        this(messageId, from, to, cc, bcc, subject, body, html, priority, readReceiptTo, attachments,
                Optional.empty());
    }

    /**
     * A message submitted whole (the SMTP relay): its bytes go as they are.
     *
     * @param messageId the Message-ID its header carries, without angle brackets
     * @param envelopeFrom the sender of the envelope (MAIL FROM)
     * @param recipients the envelope's recipients (RCPT TO): those in To and Cc, and the blind ones
     * @param subject its subject, for lists
     */
    public static OutgoingMail relayed(String messageId, String envelopeFrom, List<String> recipients,
            String subject, byte[] mime) {
        return new OutgoingMail(messageId, envelopeFrom, recipients, List.of(), List.of(), subject, "", false,
                Priority.NORMAL, Optional.empty(), List.of(), Optional.of(mime));
    }

    public enum Priority {
        HIGH, NORMAL, LOW
    }

    public OutgoingMail {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(from, "from");
        to = List.copyOf(to);
        cc = List.copyOf(cc);
        bcc = List.copyOf(bcc);
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(readReceiptTo, "readReceiptTo");
        attachments = List.copyOf(attachments);
        Objects.requireNonNull(mime, "mime");
        if (to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
            throw new IllegalArgumentException("a mail needs at least one recipient");
        }
    }

    /** The attachments' weight; for a relayed message, the whole message's. */
    public long attachmentBytes() {
        if (mime.isPresent()) {
            return mime.get().length;
        }
        return attachments.stream().mapToLong(Attachment::size).sum();
    }
}
