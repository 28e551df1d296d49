package org.envoi.api.tests.servers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A contract peer, not a mail server: it replays Exchange Online's SMTP submission dialogue up to the refused AUTH, so
 * that Envoi's real SMTP client hears Microsoft's own reply lines over a socket. No real server can be made to send
 * them (Postfix always answers a failed SASL login {@code 535 5.7.8 Error: authentication failed: ...}, whatever
 * Dovecot's reason), so this peer sends exactly the lines Microsoft documents for a switched-off SMTP AUTH:
 * https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission
 * (section "Troubleshooting"; https://aka.ms/smtp_auth_disabled leads there). The EHLO capabilities are those
 * smtp.office365.com lists after STARTTLS; the peer itself is plain TCP on loopback, as the other test servers are.
 */
public final class MicrosoftSmtpPeer implements AutoCloseable {

    /** Microsoft's reply when SMTP AUTH is off for the whole organization (tenant). */
    public static final String TENANT_DISABLED = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is"
            + " disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.";
    /** Microsoft's reply when SMTP AUTH is off for the mailbox that logs in. */
    public static final String MAILBOX_DISABLED = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is"
            + " disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.";
    /** Microsoft's reply when the tenant's Entra ID security defaults block SMTP AUTH. */
    public static final String SECURITY_DEFAULTS = "535 5.7.139 Authentication unsuccessful, user is locked by your"
            + " organization's security defaults policy. Contact your administrator.";
    /** Microsoft's plain refusal of a login (a bad token, or a mailbox that cannot log in, such as a shared one). */
    public static final String UNSUCCESSFUL = "535 5.7.3 Authentication unsuccessful [AM0PR01CA0001.eurprd01.prod.exchangelabs.com"
            + " 2026-12-05T02:00:00.000Z 08DD0000000000]";

    private final ServerSocket listener;
    private final String authReply;
    private final AtomicInteger authAttempts = new AtomicInteger();

    /** @param authReply the line the peer answers every AUTH with */
    public MicrosoftSmtpPeer(String authReply) throws IOException {
        this.authReply = authReply;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "microsoft-smtp-peer");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** How many AUTH commands the peer refused: a client that gives up at once sends one per connection. */
    public int authAttempts() {
        return authAttempts.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                Thread t = new Thread(() -> session(s), "microsoft-smtp-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void session(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.US_ASCII)); OutputStream out = s.getOutputStream()) {
            send(out, "220 AM0PR01CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready at Sat, 5 Dec 2026"
                    + " 02:00:00 +0000");
            for (String line; (line = in.readLine()) != null;) {
                String verb = line.split(" ", 2)[0].toUpperCase(java.util.Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> send(out, "250-AM0PR01CA0001.outlook.office365.com Hello [127.0.0.1]\r\n"
                            + "250-SIZE 157286400\r\n250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n"
                            + "250-AUTH LOGIN XOAUTH2\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n"
                            + "250 SMTPUTF8");
                    case "AUTH" -> {
                        if (line.trim().split(" +").length < 3) { // AUTH <mech> alone: the response comes after a 334
                            send(out, "334 ");
                            if (in.readLine() == null) {
                                return;
                            }
                        }
                        authAttempts.incrementAndGet();
                        send(out, authReply);
                    }
                    case "QUIT" -> {
                        send(out, "221 2.0.0 Service closing transmission channel");
                        return;
                    }
                    case "RSET", "NOOP" -> send(out, "250 2.0.0 OK");
                    default -> send(out, "530 5.7.57 Client not authenticated to send mail.");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void send(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
