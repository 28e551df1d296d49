package org.envoi.api.mail;

/**
 * A mail read from a mailbox.
 *
 * @param serverId the IMAP UID or the POP3 UIDL
 * @param messageId the Message-ID header, without angle brackets, or empty
 * @param from the From header
 * @param subject the subject
 * @param raw the whole message (RFC 5322)
 */
public record FetchedMail(String serverId, String messageId, String from, String subject, byte[] raw) {

    @Override
    public String toString() {
        return "FetchedMail[" + serverId + ", " + messageId + ", " + subject + ", " + raw.length + " bytes]";
    }
}
