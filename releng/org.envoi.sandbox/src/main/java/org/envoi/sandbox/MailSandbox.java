package org.envoi.sandbox;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.imap.ImapServer;
import com.icegreen.greenmail.pop3.Pop3Server;
import com.icegreen.greenmail.server.AbstractServer;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.user.UserException;
import com.icegreen.greenmail.user.UserImpl;
import com.icegreen.greenmail.user.UserManager;
import com.icegreen.greenmail.util.ServerSetup;

/**
 * The sandbox's mail servers: GreenMail's SMTP, IMAP and POP3 on 127.0.0.1 without TLS (nothing leaves the
 * machine), sharing one in-memory store, so that mail sent over SMTP lands in the recipient's INBOX, readable over
 * IMAP and POP3.
 * <p>
 * Every mailbox checks passwords with {@link AccessTokenVerifier} through GreenMail's own hook,
 * {@link UserImpl#setTokenValidator}: SMTP {@code AUTH}, IMAP {@code AUTHENTICATE}/{@code LOGIN} and POP3
 * {@code AUTH}/{@code PASS} all end in {@code UserImpl.authenticate}, which then asks the validator instead of
 * comparing a password. A mailbox's GreenMail password is random and never shown, so only a valid token for that
 * mailbox opens it. Mailboxes created on the fly for other recipients get the same check, instead of GreenMail's
 * default of "password = address". The SMTP server takes mail only after a successful {@code AUTH}
 * ({@link AuthenticatedSmtpServer}).
 */
final class MailSandbox implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final AccessTokenVerifier verifier;
    private final Managers managers = new Managers();
    private final SecureRandom random = new SecureRandom();
    private final List<AbstractServer> servers = new ArrayList<>();
    private AuthenticatedSmtpServer smtp;
    private ImapServer imap;
    private Pop3Server pop3;

    /**
     * @param verifier decides which tokens open which mailbox
     * @param user the mailbox that exists from the start
     */
    MailSandbox(AccessTokenVerifier verifier, String user) throws UserException {
        this.verifier = verifier;
        UserManager users = managers.getUserManager();
        users.setAuthRequired(true);
        users.setMessageDeliveryHandler((message, address) -> mailbox(address.getEmail()));
        mailbox(user);
    }

    /**
     * Starts the three servers; each port 0 means a free port.
     *
     * @throws IllegalStateException when a server cannot listen
     */
    void start(int smtpPort, int imapPort, int pop3Port) throws InterruptedException {
        smtp = start(new AuthenticatedSmtpServer(setup(smtpPort, ServerSetup.PROTOCOL_SMTP), managers));
        imap = start(new ImapServer(setup(imapPort, ServerSetup.PROTOCOL_IMAP), managers));
        pop3 = start(new Pop3Server(setup(pop3Port, ServerSetup.PROTOCOL_POP3), managers));
    }

    int smtpPort() {
        return smtp.getPort();
    }

    int imapPort() {
        return imap.getPort();
    }

    int pop3Port() {
        return pop3.getPort();
    }

    @Override
    public synchronized void close() {
        for (AbstractServer server : servers) {
            try {
                server.stopService(5_000);
            } catch (RuntimeException e) {
                System.err.println("envoi-sandbox: stopping " + server.getProtocol() + ": " + e);
            }
        }
        servers.clear();
    }

    private static ServerSetup setup(int port, String protocol) {
        return new ServerSetup(port, LOOPBACK, protocol);
    }

    private synchronized <S extends AbstractServer> S start(S server) throws InterruptedException {
        servers.add(server);
        server.startService();
        if (!server.waitTillRunning(server.getServerSetup().getServerStartupTimeout())) {
            throw new IllegalStateException("the " + server.getProtocol().toUpperCase(Locale.ROOT)
                    + " server cannot listen on " + LOOPBACK + ":" + server.getServerSetup().getPort()
                    + " (port in use?)");
        }
        return server;
    }

    /** The mailbox of an address, created (token-checked) if new. */
    private synchronized GreenMailUser mailbox(String email) throws UserException {
        UserManager users = managers.getUserManager();
        GreenMailUser existing = users.getUserByEmail(email);
        if (existing != null) {
            return existing;
        }
        GreenMailUser created = users.createUser(email, email, unguessable());
        if (!(created instanceof UserImpl checked)) {
            users.deleteUser(created);
            throw new IllegalStateException("GreenMail made a " + created.getClass().getName()
                    + " mailbox, which cannot check tokens");
        }
        String login = created.getLogin();
        checked.setTokenValidator(token -> verifier.accepts(login, token));
        return created;
    }

    private String unguessable() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
