package org.envoi.api.transport;

import java.util.function.Function;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;

/**
 * Gives a transport the login of one flow, operator and token resource, and hears when the server refused it (for a
 * bearer token: the engine forgets it and refreshes once). Built by the pipeline, never by a transport.
 */
public interface Logins {

    /** @throws EnvoiException CONSENT_REQUIRED when no token can be had silently */
    MailLogin current();

    void rejected(MailLogin login);

    /**
     * Uses the current login; when the server refuses a bearer token ({@link ErrorCode#MAIL_AUTH_FAILED}), hands it
     * back (the engine refreshes) and uses the fresh one once. A second refusal is thrown as it comes.
     */
    default <T> T withRenewal(Function<MailLogin, T> use) {
        MailLogin login = current();
        try {
            return use.apply(login);
        } catch (EnvoiException e) {
            if (e.code() != ErrorCode.MAIL_AUTH_FAILED || !(login instanceof MailLogin.Bearer)) {
                throw e;
            }
            rejected(login);
            return use.apply(current());
        }
    }
}
