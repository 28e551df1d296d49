package org.envoi.transport.graph.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.GraphServer;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * Issue 17.9, a record and not a target (the servers differ): in one run, {@code envoi.bench.mails} mails of 100 KB
 * through the registered {@code graph} transport against Envoi's Graph contract server (each {@code sendMail} delivered
 * to Dovecot over LMTP before its 202) and through the registered {@code smtp} transport against Postfix (XOAUTH2, one
 * connection), each on one connection/client as the outbox worker drives them; every mail is then counted in Dovecot.
 * Opt-in: {@code -Dtest=TransportBenchmark} (README, Benchmarks).
 */
class TransportBenchmark {

    private static final String G = MockOAuth2Server.GRAPH_AUDIENCE + "/";

    @TempDir
    Path temp;

    @Test
    void graphAndSmtpSendTheSameMailsOnOneRun() throws Exception {
        int mails = Integer.getInteger("envoi.bench.mails", 1000);
        BundleContext ctx = OsgiServices.context(TransportBenchmark.class);
        MailTransport graph = OsgiServices.get(ctx, MailTransport.class, "(" + MailTransport.TRANSPORT_ID + "=graph)");
        MailTransport smtp = OsgiServices.get(ctx, MailTransport.class, "(" + MailTransport.TRANSPORT_ID + "=smtp)");
        byte[] file = new byte[100 * 1024];
        new Random(9).nextBytes(file);
        try (MailPeers peers = MailPeers.start(temp.resolve("peers"));
                GraphServer server = GraphServer.start(peers, "mail", temp.resolve("graph"))) {
            Flow graphFlow = flow("graph", Optional.empty(), List.of(G + "Mail.Send"), Map.of(GraphHttp.URL_KEY,
                    server.base() + "/v1.0"));
            Flow smtpFlow = flow(MailTransport.SMTP, Optional.of(MailServer.of("127.0.0.1", peers.servers.smtpPort,
                    TlsMode.NONE).withTimeout(Duration.ofSeconds(60))), List.of("mail"), Map.of());
            double graphRate = run("graph", graph, new MailRoute(graphFlow, "alice", addr("alice"), logins(peers,
                    addr("alice"), G + "Mail.Send")), mails, file, peers, "bob");
            // Dovecot's SASL knows the user by the token's subject
            double smtpRate = run("smtp", smtp, new MailRoute(smtpFlow, "alice", "alice", logins(peers, "alice",
                    "mail")), mails, file, peers, "frank");
            System.out.println(String.format(Locale.ROOT, "BENCH transports %d x 100 KB: graph (contract server,"
                    + " LMTP to Dovecot) %.1f mails/s, smtp (Postfix, XOAUTH2) %.1f mails/s, graph/smtp %.2f", mails,
                    graphRate, smtpRate, graphRate / smtpRate));
        }
    }

    private static double run(String name, MailTransport transport, MailRoute route, int mails, byte[] file,
            MailPeers peers, String to) throws Exception {
        long before = peers.servers.delivered(to);
        long t0 = System.nanoTime();
        try (MailTransport.Connection c = transport.connect(route)) {
            for (int i = 0; i < mails; i++) {
                c.send(new OutgoingMail(UUID.randomUUID() + "@envoi", addr("alice"), List.of(addr(to)), List.of(),
                        List.of(), "bench " + name + " " + i, "Bonjour,\nle BL " + i + ".", false,
                        OutgoingMail.Priority.NORMAL, Optional.empty(), List.of(new Attachment("bl-" + i + ".pdf",
                                "application/pdf", file))));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        peers.awaitDelivered(to, before + mails);
        assertEquals(before + mails, peers.servers.delivered(to), name + ": every mail arrived once");
        System.out.println(String.format(Locale.ROOT, "BENCH transport %s: %d mails of 100 KB accepted in %.1f s, %.1f"
                + " mails/s", name, mails, seconds, mails / seconds));
        return mails / seconds;
    }

    /** Client-credentials tokens of mock-oauth2-server for alice, asked for {@code scope}, logging in as {@code user}. */
    private static Logins logins(MailPeers peers, String user, String scope) {
        return new Logins() {
            @Override
            public MailLogin current() {
                return new MailLogin.Bearer(user, peers.oauth.clientCredentialsToken("mail", "alice", scope),
                        MailLogin.Mechanism.XOAUTH2);
            }

            @Override
            public void rejected(MailLogin login) {
                // a benchmark's token is fresh
            }
        };
    }

    private static Flow flow(String transport, Optional<MailServer> smtp, List<String> scopes,
            Map<String, String> settings) {
        return new Flow("bench-" + transport, "Bench " + transport, FlowType.OAUTH2, "custom", new ProviderFields("",
                "alice", "", scopes, ConsentHost.LOOPBACK, true), Optional.empty(), Optional.empty(), Optional.empty(),
                smtp, Optional.empty(), Optional.empty(), "", Optional.empty(), 0, Optional.empty(), transport,
                settings);
    }

    private static String addr(String user) {
        return user + "@" + MailServers.DOMAIN;
    }
}
