package org.envoi.api.diffusion;

import java.util.List;

import org.envoi.api.mail.FetchedMail;

/**
 * Reads the new mail of an operator's flow (IMAP, else POP3) with the flow's authentication. What was fetched once is
 * never returned again, across restarts (the marks are kept in the store once the mails are handed over).
 */
public interface MailFetcher {

    /**
     * @param folder the IMAP folder ({@code INBOX} by default); ignored for POP3
     * @throws org.envoi.api.EnvoiException NO_FLOW_FOR_OPERATOR, INVALID_FLOW_DATA (no IMAP or POP server),
     *         CONSENT_REQUIRED, MAIL_AUTH_FAILED, MAIL_UNAVAILABLE
     */
    List<FetchedMail> fetchNew(String operatorId, String folder);
}
