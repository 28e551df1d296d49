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
 */
public record OutgoingMail(String messageId, String from, List<String> to, List<String> cc, List<String> bcc,
        String subject, String body, boolean html, Priority priority, Optional<String> readReceiptTo,
        List<Attachment> attachments) {

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
        if (to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
            throw new IllegalArgumentException("a mail needs at least one recipient");
        }
    }

    public long attachmentBytes() {
        return attachments.stream().mapToLong(Attachment::size).sum();
    }
}
