package org.envoi.relay.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.transport.MailRoutes;

/**
 * The IMAP pass-through (RFC 3501 before the login, nothing after it). Envoi answers the not-authenticated state
 * itself: CAPABILITY (minimal: the mailbox server's own come with the login's OK, and clients ask again), NOOP, ID,
 * LOGOUT, STARTTLS, and the login, {@code LOGIN} or {@code AUTHENTICATE PLAIN} (with or without an initial
 * response). A good local login opens the flow's IMAP server, logs in there with the operator's token, and answers the
 * client with the server's result under the client's tag; from then on the bytes go both ways untouched.
 */
final class ImapPassThrough extends PassThrough {


    ImapPassThrough(MailRelay.Listen what, RelayServices services, MailRoutes routes, Optional<RelayTls> tls) {
        super(what, services, routes, tls);
    }

    /** A client's command: tag, name, arguments (atoms, quoted strings and literals read in full). */
    private record Command(String tag, String name, List<String> args) {
    }

    private String capabilities(boolean secured) {
        StringBuilder c = new StringBuilder("IMAP4rev1");
        if (tls.isPresent() && !secured) {
            c.append(" STARTTLS");
        }
        c.append(tlsRequired && !secured ? " LOGINDISABLED" : " SASL-IR AUTH=PLAIN");
        return c.toString();
    }

    @Override
    Joined serve(Wire client) throws IOException {
        boolean secured = false;
        client.send("* OK [CAPABILITY " + capabilities(false) + "] Envoi relay ready");
        while (true) {
            Command c;
            try {
                c = read(client);
            } catch (IllegalArgumentException e) {
                client.send("* BAD " + e.getMessage());
                continue;
            }
            if (c == null) {
                return null;
            }
            String tag = c.tag();
            switch (c.name()) {
                case "CAPABILITY" -> {
                    client.send("* CAPABILITY " + capabilities(secured));
                    client.send(tag + " OK CAPABILITY completed");
                }
                case "NOOP" -> client.send(tag + " OK NOOP completed");
                case "ID" -> {
                    client.send("* ID NIL");
                    client.send(tag + " OK ID completed");
                }
                case "LOGOUT" -> {
                    client.send("* BYE Envoi relay closing the connection");
                    client.send(tag + " OK LOGOUT completed");
                    return null;
                }
                case "STARTTLS" -> {
                    if (tls.isEmpty() || secured) {
                        client.send(tag + " BAD " + (secured ? "TLS is already on" : "STARTTLS is not offered here"));
                    } else {
                        client.send(tag + " OK Begin TLS negotiation now");
                        client = client.secureAsServer(tls.get().context);
                        secured = true;
                    }
                }
                case "LOGIN", "AUTHENTICATE" -> {
                    if (tlsRequired && !secured) {
                        client.send(tag + " NO [PRIVACYREQUIRED] Use STARTTLS first: this relay takes no password in"
                                + " clear from another machine");
                        continue;
                    }
                    String[] login = c.name().equals("LOGIN") ? loginArguments(client, c) : plain(client, c);
                    if (login == null) {
                        continue;
                    }
                    Wire upstream = login(client, tag, login[0], login[1]);
                    if (upstream != null) {
                        return new Joined(client, upstream);
                    }
                }
                default -> client.send(tag + " BAD Log in first: before the login this relay knows CAPABILITY,"
                        + " STARTTLS, LOGIN, AUTHENTICATE PLAIN, NOOP and LOGOUT");
            }
        }
    }

    private static String[] loginArguments(Wire client, Command c) throws IOException {
        if (c.args().size() != 2) {
            client.send(c.tag() + " BAD LOGIN takes a user name and a password");
            return null;
        }
        return new String[] { c.args().get(0), c.args().get(1) };
    }

    /** AUTHENTICATE PLAIN's user and password, the client told what is wrong otherwise (then null). */
    private static String[] plain(Wire client, Command c) throws IOException {
        if (c.args().isEmpty() || !c.args().get(0).equalsIgnoreCase("PLAIN")) {
            client.send(c.tag() + " NO Unsupported authentication mechanism: this relay takes PLAIN (or LOGIN)");
            return null;
        }
        String response;
        if (c.args().size() > 1) {
            response = c.args().get(1);
        } else {
            client.send("+ ");
            response = client.line();
            if (response == null) {
                throw new EOFException("the client left during AUTHENTICATE");
            }
        }
        if (response.equals("*")) {
            client.send(c.tag() + " BAD Authentication canceled");
            return null;
        }
        String[] parts;
        try {
            parts = new String(Base64.getDecoder().decode(response.equals("=") ? "" : response.strip()),
                    StandardCharsets.UTF_8).split("\u0000", -1);
        } catch (IllegalArgumentException e) {
            client.send(c.tag() + " BAD The PLAIN response is not base64");
            return null;
        }
        if (parts.length != 3 || (!parts[0].isEmpty() && !parts[0].equals(parts[1]))) {
            client.send(c.tag() + " BAD The PLAIN response is not [authzid] NUL user NUL password (or asks for"
                    + " another identity)");
            return null;
        }
        return new String[] { parts[1], parts[2] };
    }

    /** @return the mailbox server's connection, logged in; null when the client was refused (and told why) */
    private Wire login(Wire client, String tag, String user, String password) throws IOException {
        return logIn(client, user, password, ImapPassThrough::open, (up, login) -> authenticate(up, capabilities(up),
                login, "E2"), new LoginReplies<Result>() {
                    @Override
                    public String badLocalLogin() {
                        return tag + " NO [AUTHENTICATIONFAILED] Authentication failed: use the operator's id and the"
                                + " relay password its administrator gave (envoi relay-user add)";
                    }

                    @Override
                    public String upstreamRefused(String why) {
                        return tag + " NO [AUTHENTICATIONFAILED] " + why;
                    }

                    @Override
                    public String notOpened(boolean consentRequired, String why) {
                        return tag + " NO [" + (consentRequired ? "AUTHENTICATIONFAILED" : "CONTACTADMIN") + "] "
                                + why;
                    }

                    @Override
                    public String unreachable(String why) {
                        return tag + " NO [UNAVAILABLE] The mailbox server cannot be reached (" + why
                                + "): try again later";
                    }

                    @Override
                    public void succeeded(Wire to, Result r) throws IOException {
                        for (String line : r.untagged()) {
                            to.send(line);
                        }
                        to.send(tag + r.tail());
                    }
                });
    }

    /** The server's greeting read, STARTTLS done when the flow says so. */
    private static Wire open(MailServer server) throws IOException {
        Wire up = Upstream.connect(server, "IMAP");
        String greeting = up.line();
        if (greeting == null || !greeting.startsWith("* OK")) {
            PassThrough.quietly(up.socket);
            throw new IOException("it greeted with '" + printable(greeting) + "'");
        }
        if (server.endpoint().tls() == TlsMode.STARTTLS) {
            up.send("E0 STARTTLS");
            String answer = tagged(up, "E0", new ArrayList<>());
            if (!answer.startsWith(" OK")) {
                PassThrough.quietly(up.socket);
                throw new EnvoiException(ErrorCode.INSECURE_CONNECTION, "security", "The IMAP server "
                        + server.endpoint().host() + " refused STARTTLS: choose TLS for it in the flow.", null);
            }
            up = Upstream.secure(server, up);
        }
        return up;
    }

    private static Set<String> capabilities(Wire up) throws IOException {
        up.send("E1 CAPABILITY");
        List<String> untagged = new ArrayList<>();
        tagged(up, "E1", untagged);
        Set<String> caps = new HashSet<>();
        for (String line : untagged) {
            if (line.toUpperCase(Locale.ROOT).startsWith("* CAPABILITY ")) {
                for (String c : line.substring(13).split(" ")) {
                    caps.add(c.toUpperCase(Locale.ROOT));
                }
            }
        }
        return caps;
    }

    /** The tagged line's rest (" OK ..."), the untagged ones collected; continuations are not expected here. */
    private static String tagged(Wire up, String tag, List<String> untagged) throws IOException {
        for (String line = up.line(); line != null; line = up.line()) {
            if (line.startsWith(tag + " ")) {
                return line.substring(tag.length());
            }
            untagged.add(line);
        }
        throw new EOFException("the IMAP server closed the connection");
    }

    /** The login's success: the untagged lines that came with it and the tagged line's rest (" OK [...] ..."). */
    private record Result(List<String> untagged, String tail) {
    }

    /** Logs in at the server: the token with its SASL mechanism, or a BASIC flow's password. */
    private static Optional<Result> authenticate(Wire up, Set<String> caps, MailLogin login, String tag)
            throws IOException {
        String mechanism;
        String response;
        String answerToChallenge;
        if (login instanceof MailLogin.Bearer b) {
            mechanism = b.mechanism().name();
            response = bearerResponse(b);
            answerToChallenge = challengeAnswer(b);
        } else {
            MailLogin.Password p = (MailLogin.Password) login;
            if (!caps.contains("AUTH=PLAIN")) {
                up.send(tag + " LOGIN " + quoted(p.user()) + " " + quoted(p.password()));
                return result(up, tag, "*", null);
            }
            mechanism = "PLAIN";
            response = Base64.getEncoder().encodeToString(("\u0000" + p.user() + "\u0000" + p.password()).getBytes(
                    StandardCharsets.UTF_8));
            answerToChallenge = "*";
        }
        if (caps.contains("SASL-IR")) {
            up.send(tag + " AUTHENTICATE " + mechanism + " " + response);
            return result(up, tag, answerToChallenge, null);
        }
        up.send(tag + " AUTHENTICATE " + mechanism);
        return result(up, tag, answerToChallenge, response);
    }

    /**
     * Reads to the tagged result; a continuation gets {@code response} first (not sent with the command), then
     * {@code answerToChallenge} (the server's error challenge, after which it says NO).
     */
    private static Optional<Result> result(Wire up, String tag, String answerToChallenge, String response)
            throws IOException {
        List<String> untagged = new ArrayList<>();
        String pending = response;
        for (String line = up.line(); line != null; line = up.line()) {
            if (line.startsWith("+")) {
                up.send(pending != null ? pending : answerToChallenge);
                pending = null;
            } else if (line.startsWith(tag + " ")) {
                String tail = line.substring(tag.length());
                return tail.startsWith(" OK") ? Optional.of(new Result(untagged, tail)) : Optional.empty();
            } else {
                untagged.add(line);
            }
        }
        throw new EOFException("the IMAP server closed the connection during the login");
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * The next command, literals ({@code {n}}, answered with a continuation, and {@code {n+}}) read in full.
     *
     * @return null when the client left
     * @throws IllegalArgumentException for a line that is not a command (the client is told, the session goes on)
     */
    private static Command read(Wire client) throws IOException {
        String line = client.line();
        if (line == null) {
            return null;
        }
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (true) {
            while (i < line.length() && line.charAt(i) == ' ') {
                i++;
            }
            if (i >= line.length()) {
                break;
            }
            char ch = line.charAt(i);
            if (ch == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (i < line.length() && line.charAt(i) != '"') {
                    if (line.charAt(i) == '\\' && i + 1 < line.length()) {
                        i++;
                    }
                    b.append(line.charAt(i++));
                }
                if (i >= line.length()) {
                    throw new IllegalArgumentException("Unterminated quoted string");
                }
                i++;
                tokens.add(b.toString());
            } else if (ch == '{' && line.endsWith("}")) {
                String spec = line.substring(i + 1, line.length() - 1);
                boolean nonSync = spec.endsWith("+");
                int n;
                try {
                    n = Integer.parseInt(nonSync ? spec.substring(0, spec.length() - 1) : spec);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Bad literal size");
                }
                if (n < 0 || n > Wire.MAX_LINE) {
                    throw new IllegalArgumentException("Literal too large before the login");
                }
                if (!nonSync) {
                    client.send("+ Ready for literal data");
                }
                tokens.add(new String(client.bytes(n), StandardCharsets.UTF_8));
                line = client.line();
                if (line == null) {
                    throw new EOFException("the client left in the middle of a command");
                }
                i = 0;
            } else {
                int j = line.indexOf(' ', i);
                j = j < 0 ? line.length() : j;
                tokens.add(line.substring(i, j));
                i = j;
            }
        }
        if (tokens.size() < 2) {
            throw new IllegalArgumentException("Expected a tag and a command");
        }
        return new Command(tokens.get(0), tokens.get(1).toUpperCase(Locale.ROOT), tokens.subList(2, tokens.size()));
    }
}
