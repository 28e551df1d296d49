package org.envoi.sandbox;

/**
 * The OAuth2 server and the mail servers together, started in the order a client needs them (the OAuth2 server
 * first: its signing key is what the mail servers check tokens against) and stopped together.
 */
final class Sandbox implements AutoCloseable {

    /** The sandbox user: the subject of every token and the mailbox that exists from the start. */
    static final String USER = "demo@envoi.local";
    /** The client id to use (mock-oauth2-server accepts any public client; this one is what Envoi is told). */
    static final String CLIENT_ID = "envoi-sandbox";
    /** The {@code aud} of the access tokens, checked by the mail servers. */
    static final String MAIL_AUDIENCE = "envoi-sandbox-mail";

    private final OAuthSandbox oauth = new OAuthSandbox(USER, MAIL_AUDIENCE);
    private MailSandbox mail;
    private OAuthEndpoints endpoints;
    private boolean closed;

    /**
     * Starts every server; on failure, stops those already started.
     *
     * @return the running sandbox
     */
    static Sandbox start(SandboxOptions options) throws Exception {
        Sandbox sandbox = new Sandbox();
        try {
            sandbox.endpoints = sandbox.oauth.start(options.oauthPort());
            AccessTokenVerifier verifier = new AccessTokenVerifier(sandbox.oauth.publicKeys(),
                    sandbox.endpoints.issuer().toString(), MAIL_AUDIENCE);
            sandbox.mail = new MailSandbox(verifier, USER);
            sandbox.mail.start(options.smtpPort(), options.imapPort(), options.pop3Port());
            return sandbox;
        } catch (Exception | Error e) {
            sandbox.close();
            throw e;
        }
    }

    private Sandbox() {
    }

    /** The line announcing the running servers, see {@link ReadyLine}. */
    String readyLine() {
        return ReadyLine.of(endpoints, CLIENT_ID, USER, mail.smtpPort(), mail.imapPort(), mail.pop3Port());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (mail != null) {
            mail.close();
        }
        try {
            oauth.close();
        } catch (RuntimeException e) {
            System.err.println("envoi-sandbox: stopping the OAuth2 server: " + e);
        }
        System.err.println("envoi-sandbox: servers stopped");
    }
}
