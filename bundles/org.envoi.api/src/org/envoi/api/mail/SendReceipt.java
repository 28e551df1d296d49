package org.envoi.api.mail;

/**
 * What the SMTP server answered for one mail.
 *
 * @param messageId the mail's Message-ID
 * @param reply the server's last reply line, for example {@code 250 2.0.0 Ok: queued as 4Xyz}
 */
public record SendReceipt(String messageId, String reply) {
}
