package org.envoi.diffusion.internal;

import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.oauth.OAuthClient;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.transport.Logins;

/**
 * Logins of an OAuth2 flow: the access token comes from the engine (refreshed silently); a token the mail server
 * refused is handed back to the engine, which then refreshes it once.
 */
public final class TokenLogins implements Logins {

    private final TokenService tokens;
    private final OAuthClient client;
    private final String operatorId;
    private final String mailUser;
    private final Mechanism mechanism;

    /**
     * @param mailUser the mailbox user given to SASL (the operator's address, or the shared mailbox)
     */
    public TokenLogins(TokenService tokens, OAuthClient client, String operatorId, String mailUser,
            Mechanism mechanism) {
        this.tokens = tokens;
        this.client = client;
        this.operatorId = operatorId;
        this.mailUser = mailUser;
        this.mechanism = mechanism;
    }

    @Override
    public MailLogin current() {
        return new MailLogin.Bearer(mailUser, tokens.accessToken(client, operatorId), mechanism);
    }

    @Override
    public void rejected(MailLogin login) {
        if (login instanceof MailLogin.Bearer b) {
            tokens.reject(client, operatorId, b.token());
        }
    }
}
