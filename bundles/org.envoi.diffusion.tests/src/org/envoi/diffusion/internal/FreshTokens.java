package org.envoi.diffusion.internal;

import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.tests.servers.MockOAuth2Server;

/** Logins for the worker tests: a fresh XOAUTH2 token of the mail issuer for the user at every login; refusals ignored. */
final class FreshTokens implements org.envoi.api.transport.Logins {

    private final MockOAuth2Server oauth;
    private final String user;

    FreshTokens(MockOAuth2Server oauth, String user) {
        this.oauth = oauth;
        this.user = user;
    }

    @Override
    public MailLogin current() {
        return new MailLogin.Bearer(user, oauth.clientCredentialsToken("mail", user), Mechanism.XOAUTH2);
    }

    @Override
    public void rejected(MailLogin login) {
        // a test token stays what it is
    }
}
