package org.envoi.sandbox;

import java.io.IOException;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.server.ProtocolHandler;
import com.icegreen.greenmail.smtp.SmtpConnection;
import com.icegreen.greenmail.smtp.SmtpHandler;
import com.icegreen.greenmail.smtp.SmtpManager;
import com.icegreen.greenmail.smtp.SmtpServer;
import com.icegreen.greenmail.smtp.SmtpState;
import com.icegreen.greenmail.smtp.commands.SmtpCommand;
import com.icegreen.greenmail.smtp.commands.SmtpCommandRegistry;
import com.icegreen.greenmail.util.ServerSetup;

/**
 * GreenMail's SMTP server, made to refuse mail until the client has authenticated on the connection, as Microsoft
 * 365's and Gmail's submission servers do. GreenMail alone accepts mail from anyone, so mail would "work" in the
 * sandbox without any token and a broken sign-in in Envoi would go unnoticed.
 * <p>
 * The check is GreenMail's own per-connection flag, set only by a successful {@code AUTH}: {@code MAIL}, {@code RCPT}
 * and {@code DATA} answer {@value #AUTHENTICATION_REQUIRED} before it. This goes through the public extension points
 * (the server's protocol handler factory and the command registry) and copies no GreenMail code.
 * <p>
 * GreenMail's {@code AUTH XOAUTH2} also takes its response only on the command line; Microsoft 365 and Gmail, as
 * RFC 4954 asks, also take {@code AUTH XOAUTH2} alone and the response after a {@code 334}, which is how Envoi sends a
 * token longer than an SMTP command line (512 octets). {@link ContinuedAuth} adds that form.
 */
final class AuthenticatedSmtpServer extends SmtpServer {

    static final String AUTHENTICATION_REQUIRED = "530 5.7.0 Authentication required";

    private final SmtpCommandRegistry commands = new AuthenticatedCommands();

    AuthenticatedSmtpServer(ServerSetup setup, Managers managers) {
        super(setup, managers);
    }

    @Override
    protected ProtocolHandler createProtocolHandler(Socket clientSocket) {
        return new SmtpHandler(commands, managers.getSmtpManager(), clientSocket);
    }

    /** GreenMail's commands, with those of a mail transaction behind the authentication check. */
    private static final class AuthenticatedCommands extends SmtpCommandRegistry {
        private final Map<String, SmtpCommand> guarded = new HashMap<>();

        AuthenticatedCommands() {
            for (String name : Set.of("MAIL", "RCPT", "DATA")) {
                SmtpCommand command = super.getCommand(name);
                if (command == null) {
                    throw new IllegalStateException("GreenMail has no SMTP " + name + " command to guard");
                }
                guarded.put(name, new AuthenticatedOnly(command));
            }
            SmtpCommand auth = super.getCommand("AUTH");
            if (auth == null) {
                throw new IllegalStateException("GreenMail has no SMTP AUTH command");
            }
            guarded.put("AUTH", new ContinuedAuth(auth));
        }

        @Override
        public SmtpCommand getCommand(String name) {
            SmtpCommand command = guarded.get(name);
            return command != null ? command : super.getCommand(name);
        }
    }

    private static final class AuthenticatedOnly extends SmtpCommand {
        private final SmtpCommand command;

        AuthenticatedOnly(SmtpCommand command) {
            this.command = command;
        }

        @Override
        public void execute(SmtpConnection conn, SmtpState state, SmtpManager manager, String commandLine)
                throws IOException {
            if (conn.isAuthenticated()) {
                command.execute(conn, state, manager, commandLine);
            } else {
                conn.send(AUTHENTICATION_REQUIRED);
            }
        }
    }

    /**
     * {@code AUTH XOAUTH2} (or OAUTHBEARER) without an initial response: {@code 334}, the response on the next line,
     * then GreenMail's own AUTH with it; {@code *} cancels (RFC 4954: 501). Any other AUTH goes to GreenMail as it is.
     */
    private static final class ContinuedAuth extends SmtpCommand {
        private final SmtpCommand auth;

        ContinuedAuth(SmtpCommand auth) {
            this.auth = auth;
        }

        @Override
        public void execute(SmtpConnection conn, SmtpState state, SmtpManager manager, String commandLine)
                throws IOException {
            String[] words = commandLine.strip().split("\\s+");
            boolean bearer = words.length == 2 && (words[1].equalsIgnoreCase("XOAUTH2")
                    || words[1].equalsIgnoreCase("OAUTHBEARER"));
            if (!bearer || conn.isAuthenticated()) {
                auth.execute(conn, state, manager, commandLine);
                return;
            }
            conn.send("334 ");
            String response = conn.readLine();
            if (response == null) {
                conn.quit();
                return;
            }
            if (response.strip().equals("*")) {
                conn.send("501 5.7.0 Authentication cancelled");
                return;
            }
            auth.execute(conn, state, manager, words[0] + " " + words[1] + " " + response.strip());
        }
    }
}
