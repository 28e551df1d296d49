package org.envoi.relay.internal;

import java.io.EOFException;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.transport.MailRoutes;

/**
 * The POP3 pass-through (RFC 1939 and 2449 in the AUTHORIZATION state, nothing after it). Envoi answers CAPA, STLS,
 * USER, PASS and QUIT itself; a good local login opens the flow's POP3 server, logs in there with the operator's token
 * ({@code AUTH XOAUTH2}, the response on its own line as Microsoft requires), and answers the client's PASS with the
 * server's {@code +OK}; from then on the bytes go both ways untouched.
 */
final class Pop3PassThrough extends PassThrough {


    Pop3PassThrough(MailRelay.Listen what, RelayServices services, MailRoutes routes, Optional<RelayTls> tls) {
        super(what, services, routes, tls);
    }

    @Override
    Joined serve(Wire client) throws IOException {
        boolean secured = false;
        String user = null;
        client.send("+OK Envoi relay ready");
        for (String line = client.line(); line != null; line = client.line()) {
            int sp = line.indexOf(' ');
            String command = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            String argument = sp < 0 ? "" : line.substring(sp + 1);
            boolean clear = tlsRequired && !secured;
            switch (command) {
                case "CAPA" -> {
                    client.send("+OK Capability list follows");
                    if (tls.isPresent() && !secured) {
                        client.send("STLS");
                    }
                    if (!clear) {
                        client.send("USER");
                    }
                    // what every mailbox server offers after the login (clients may ask again then)
                    client.send("TOP");
                    client.send("UIDL");
                    client.send("RESP-CODES");
                    client.send("AUTH-RESP-CODE");
                    client.send("IMPLEMENTATION Envoi-relay");
                    client.send(".");
                }
                case "STLS" -> {
                    if (tls.isEmpty() || secured) {
                        client.send("-ERR " + (secured ? "TLS is already on" : "STLS is not offered here"));
                    } else {
                        client.send("+OK Begin TLS negotiation now");
                        client = client.secureAsServer(tls.get().context);
                        secured = true;
                        user = null;
                    }
                }
                case "USER" -> {
                    if (clear) {
                        client.send("-ERR [AUTH] Use STLS first: this relay takes no password in clear from another"
                                + " machine");
                    } else if (argument.isBlank()) {
                        client.send("-ERR USER needs the operator's id");
                    } else {
                        user = argument.strip();
                        client.send("+OK Now the relay password (PASS)");
                    }
                }
                case "PASS" -> {
                    if (user == null) {
                        client.send("-ERR USER first");
                        continue;
                    }
                    String who = user;
                    user = null;
                    Wire upstream = login(client, who, argument);
                    if (upstream != null) {
                        return new Joined(client, upstream);
                    }
                }
                case "QUIT" -> {
                    client.send("+OK Envoi relay signing off");
                    return null;
                }
                default -> client.send("-ERR Log in first: before the login this relay knows CAPA, STLS, USER, PASS"
                        + " and QUIT");
            }
        }
        return null;
    }

    /** @return the mailbox server's connection, logged in; null when the client was refused (and told why) */
    private Wire login(Wire client, String user, String password) throws IOException {
        return logIn(client, user, password, Pop3PassThrough::open, Pop3PassThrough::authenticate,
                new LoginReplies<String>() {
                    @Override
                    public String badLocalLogin() {
                        return "-ERR [AUTH] Authentication failed: use the operator's id and the relay password its"
                                + " administrator gave (envoi relay-user add)";
                    }

                    @Override
                    public String upstreamRefused(String why) {
                        return "-ERR [AUTH] " + why;
                    }

                    @Override
                    public String notOpened(boolean consentRequired, String why) {
                        return "-ERR [" + (consentRequired ? "AUTH" : "SYS/PERM") + "] " + why;
                    }

                    @Override
                    public String unreachable(String why) {
                        return "-ERR [SYS/TEMP] The mailbox server cannot be reached (" + why + "): try again later";
                    }

                    @Override
                    public void succeeded(Wire to, String ok) throws IOException {
                        to.send(ok);
                    }
                });
    }

    /** The server's greeting read, STLS done when the flow says STARTTLS. */
    private static Wire open(MailServer server) throws IOException {
        Wire up = Upstream.connect(server, "POP3");
        String greeting = up.line();
        if (greeting == null || !greeting.startsWith("+OK")) {
            PassThrough.quietly(up.socket);
            throw new IOException("it greeted with '" + printable(greeting) + "'");
        }
        if (server.endpoint().tls() == TlsMode.STARTTLS) {
            up.send("STLS");
            String answer = up.line();
            if (answer == null || !answer.startsWith("+OK")) {
                PassThrough.quietly(up.socket);
                throw new EnvoiException(ErrorCode.INSECURE_CONNECTION, "security", "The POP3 server "
                        + server.endpoint().host() + " refused STLS: choose TLS for it in the flow.", null);
            }
            up = Upstream.secure(server, up);
        }
        return up;
    }

    /** @return the server's {@code +OK} line, or empty when it refused the login */
    private static Optional<String> authenticate(Wire up, MailLogin login) throws IOException {
        if (login instanceof MailLogin.Bearer b) {
            up.send("AUTH " + b.mechanism().name());
            String line = answer(up);
            if (line.startsWith("+ ") || line.equals("+")) {
                up.send(bearerResponse(b));
                line = answer(up);
                if (line.startsWith("+ ") || line.equals("+")) { // the error challenge: the refusal follows
                    up.send(challengeAnswer(b));
                    line = answer(up);
                }
            }
            return line.startsWith("+OK") ? Optional.of(line) : Optional.empty();
        }
        MailLogin.Password p = (MailLogin.Password) login;
        up.send("USER " + p.user());
        if (!answer(up).startsWith("+OK")) {
            return Optional.empty();
        }
        up.send("PASS " + p.password());
        String line = answer(up);
        return line.startsWith("+OK") ? Optional.of(line) : Optional.empty();
    }

    private static String answer(Wire up) throws IOException {
        String line = up.line();
        if (line == null) {
            throw new EOFException("the POP3 server closed the connection during the login");
        }
        return line;
    }
}
