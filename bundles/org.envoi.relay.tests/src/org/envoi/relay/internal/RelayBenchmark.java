package org.envoi.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.ConsentTerminal;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.MailRelay.Listen;
import org.envoi.api.relay.MailRelay.Protocol;
import org.envoi.api.relay.RelayUsers;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import jakarta.activation.DataHandler;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;

/**
 * Issue 18.5, in one run: {@code envoi.bench.mails} mails with a 100 KB attachment (a) through Envoi's SMTP relay on
 * one client connection, (b) through it with a new connection (and login) per mail, as most ERPs do, each relayed to
 * Postfix with XOAUTH2 by the outbox; beside (p) the plain Angus loop straight to Postfix with XOAUTH2 on one
 * connection, sending the same bytes. For the relay two rates: the client's (250s per second: what the ERP waits for) and the end-to-end one
 * (until the outbox has every mail SENT, accepted by Postfix). A warm-up of 100 mails per path first (not counted).
 * Opt-in: {@code -Dtest=RelayBenchmark} (README, Benchmarks).
 */
class RelayBenchmark {

    @TempDir
    Path temp;

    /** The test data folder outlives a run: a flow of its own (a stored secret stays bound to its old endpoint). */
    private static final String FLOW = "relay-bench-" + System.currentTimeMillis();
    private static final String OPERATOR = "alice-" + FLOW;
    private static final String PASSWORD = "relay-bench-password";

    @Test
    void theRelayBesideThePlainLoop() throws Exception {
        int mails = Integer.getInteger("envoi.bench.mails", 1000);
        BundleContext ctx = OsgiServices.context(RelayBenchmark.class);
        byte[] file = new byte[100 * 1024];
        new Random(18).nextBytes(file);
        try (MailPeers peers = MailPeers.start(temp.resolve("peers"))) {
            OsgiServices.get(ctx, FlowRepository.class, null).save(new Flow(FLOW, "Relay bench", FlowType.OAUTH2,
                    "custom", new ProviderFields("", "envoi-bench", "", List.of("openid", "mail", "offline_access"),
                            ConsentHost.LOOPBACK, false),
                    Optional.of(peers.oauth.authorizationEndpoint("mail")), Optional.of(peers.oauth.tokenEndpoint(
                            "mail")), Optional.empty(), Optional.of(
                            MailServer.of("127.0.0.1", peers.servers.smtpPort, TlsMode.NONE)), Optional.empty(),
                    Optional.empty(), "alice", Optional.empty(), 0, Optional.empty()));
            OsgiServices.get(ctx, OperatorRepository.class, null).save(new Operator(OPERATOR, "Alice",
                    MailServers.address("alice"), Optional.empty(), Optional.of(FLOW), "", ""));
            // alice signs in once, as `envoi authorize --consent loopback` has her do, the browser being the test's
            FlowAdmin.SignInTarget target = OsgiServices.get(ctx, FlowAdmin.class, null).signInTarget(FLOW,
                    OPERATOR);
            ConsentHandler loopback = OsgiServices.get(ctx, TerminalConsent.class, "(" + ConsentHandler.CONSENT_HOST
                    + "=" + TerminalConsent.LOOPBACK + ")").open(new ConsentTerminal(System.out,
                            new java.io.BufferedReader(new java.io.StringReader("")), Optional.of(url -> new Thread(
                                    () -> new BrowserUser("alice").signInAndReturn(url)).start())));
            OsgiServices.get(ctx, TokenService.class, null).authorize(target.client(), target.owner(), loopback,
                    java.time.Duration.ofSeconds(60));
            OsgiServices.get(ctx, RelayUsers.class, null).set(OPERATOR, PASSWORD.toCharArray());
            Outbox outbox = OsgiServices.get(ctx, Outbox.class, null);
            try (MailRelay.Listener relay = OsgiServices.get(ctx, MailRelay.class, null).listen(new Listen(
                    Protocol.SMTP, new InetSocketAddress("127.0.0.1", 0), false, false, Optional.empty(),
                    Optional.empty()))) {
                Session toRelay = session("127.0.0.1", relay.address().getPort(), false);
                MailTransport smtp = OsgiServices.get(ctx, MailTransport.class, "(" + MailTransport.TRANSPORT_ID
                        + "=smtp)");
                Flow flow = OsgiServices.get(ctx, FlowRepository.class, null).flow(FLOW).orElseThrow();
                MailRoute direct = new MailRoute(flow, OPERATOR, "alice", logins(peers));
                // warm-up: the JIT compiles the paths once, as in a server that then relays all day
                int warm = Math.min(100, mails);
                plain(smtp, direct, toRelay, warm, file, "warm");
                relayed(toRelay, outbox, warm, file, true, "warm-a");
                relayed(toRelay, outbox, warm, file, false, "warm-b");
                double[] p = plain(smtp, direct, toRelay, mails, file, "p");
                double[] a = relayed(toRelay, outbox, mails, file, true, "a");
                // the same with a client that disables Nagle's algorithm, as Envoi's own SMTP client does
                Session noDelay = session("127.0.0.1", relay.address().getPort(), false);
                noDelay.getProperties().put("mail.smtp.socketFactory", new NoDelaySockets());
                relayed(noDelay, outbox, Math.min(100, mails), file, true, "warm-nd");
                double[] n = relayed(noDelay, outbox, mails, file, true, "n");
                System.out.println(String.format(Locale.ROOT, "BENCH relay one connection, client with TCP_NODELAY:"
                        + " %.1f mails/s answered, %.1f end to end (%.2fx the plain loop)", n[0], n[1], n[1] / p[0]));
                double[] b = relayed(toRelay, outbox, mails, file, false, "b");
                System.out.println(String.format(Locale.ROOT, "BENCH relay %d x 100 KB: plain Angus loop to Postfix"
                        + " (XOAUTH2, one connection) %.1f mails/s; relay one connection: %.1f mails/s answered, %.1f"
                        + " mails/s end to end (%.2fx the plain loop); relay a connection per mail: %.1f mails/s"
                        + " answered, %.1f mails/s end to end (%.1fx email-oauth2-proxy's 4.4 mails/s measured here)",
                        mails, p[0], a[0], a[1], a[1] / p[0], b[0], b[1], b[1] / 4.4));
            }
        }
    }

    /** A client socket factory that turns Nagle's algorithm off. */
    static final class NoDelaySockets extends javax.net.SocketFactory {
        @Override
        public java.net.Socket createSocket() throws java.io.IOException {
            java.net.Socket s = new java.net.Socket();
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
            java.net.Socket s = new java.net.Socket(host, port);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws java.io.IOException {
            java.net.Socket s = new java.net.Socket(host, port, local, localPort);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
            java.net.Socket s = new java.net.Socket(host, port);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local,
                int localPort) throws java.io.IOException {
            java.net.Socket s = new java.net.Socket(host, port, local, localPort);
            s.setTcpNoDelay(true);
            return s;
        }
    }

    private static Session session(String host, int port, boolean xoauth2) {
        Properties p = new Properties();
        p.put("mail.smtp.host", host);
        p.put("mail.smtp.port", String.valueOf(port));
        p.put("mail.smtp.auth", "true");
        if (xoauth2) {
            p.put("mail.smtp.auth.mechanisms", "XOAUTH2");
        }
        p.put("mail.smtp.timeout", "60000");
        return Session.getInstance(p);
    }

    private static MimeMessage message(Session s, byte[] file, String id) throws MessagingException {
        MimeMessage m = new MimeMessage(s) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + id + ">");
            }
        };
        m.setFrom(new InternetAddress(MailServers.address("alice")));
        m.setRecipient(RecipientType.TO, new InternetAddress(MailServers.address("bob")));
        m.setSubject("Facture " + id);
        MimeBodyPart text = new MimeBodyPart();
        text.setText("Bonjour,\nla facture suit.\n", "UTF-8");
        MimeBodyPart pdf = new MimeBodyPart();
        pdf.setDataHandler(new DataHandler(new ByteArrayDataSource(file, "application/pdf")));
        pdf.setFileName("facture.pdf");
        m.setContent(new MimeMultipart(text, pdf));
        m.saveChanges();
        return m;
    }

    /**
     * The plain loop: Angus Mail's SMTPTransport on one connection, each message's bytes as the ERP wrote them, through
     * the registered {@code smtp} transport only for its XOAUTH2 login (Angus' own XOAUTH2 puts the 2 KB token on the
     * AUTH line, which Postfix's default 2048-byte line limit cuts: "Invalid base64 data in initial response").
     */
    private static double[] plain(MailTransport smtp, MailRoute route, Session s, int mails, byte[] file, String run)
            throws Exception {
        long t0 = System.nanoTime();
        try (MailTransport.Connection c = smtp.connect(route)) {
            for (int i = 0; i < mails; i++) {
                String id = run + "-" + i + "-" + t0 + "@bench";
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(150_000);
                message(s, file, id).writeTo(bytes);
                c.send(OutgoingMail.relayed(id, MailServers.address("alice"), List.of(MailServers.address("bob")),
                        "Facture " + id, bytes.toByteArray()));
            }
        }
        double rate = mails / ((System.nanoTime() - t0) / 1e9);
        return new double[] { rate, rate };
    }

    /** Client-credentials tokens of mock-oauth2-server for alice (Dovecot knows her by the token's subject). */
    private static Logins logins(MailPeers peers) {
        return new Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer("alice", peers.oauth.clientCredentialsToken("mail", "alice", "mail"),
                        MailLogin.Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
                // a benchmark's token is fresh
            }
        };
    }

    /** Through the relay: {answered rate, end-to-end rate}. */
    private static double[] relayed(Session s, Outbox outbox, int mails, byte[] file, boolean oneConnection,
            String run) throws Exception {
        int sentBefore = outbox.count(OutboxEntry.State.SENT);
        long t0 = System.nanoTime();
        if (oneConnection) {
            try (Transport t = s.getTransport("smtp")) {
                t.connect(OPERATOR, PASSWORD);
                for (int i = 0; i < mails; i++) {
                    MimeMessage m = message(s, file, run + "-" + i + "-" + t0 + "@bench");
                    t.sendMessage(m, m.getAllRecipients());
                }
            }
        } else {
            for (int i = 0; i < mails; i++) {
                Transport.send(message(s, file, run + "-" + i + "-" + t0 + "@bench"), OPERATOR, PASSWORD);
            }
        }
        long answered = System.nanoTime();
        int sent = outbox.count(OutboxEntry.State.SENT);
        long progress = System.nanoTime();
        while (sent < sentBefore + mails && System.nanoTime() - progress < TimeUnit.SECONDS.toNanos(60)) {
            Thread.sleep(20);
            int now = outbox.count(OutboxEntry.State.SENT);
            if (now > sent) {
                sent = now;
                progress = System.nanoTime();
            }
        }
        long done = System.nanoTime();
        assertEquals(sentBefore + mails, outbox.count(OutboxEntry.State.SENT), run + ": every mail sent; the newest: "
                + outbox.list(3));
        return new double[] { mails / ((answered - t0) / 1e9), mails / ((done - t0) / 1e9) };
    }
}
