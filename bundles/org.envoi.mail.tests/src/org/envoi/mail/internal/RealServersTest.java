package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTP, IMAP and POP3 against Postfix and Dovecot that validate every bearer token by introspection at a real OAuth
 * server (mock-oauth2-server), with ~4 KB tokens as Microsoft issues them.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RealServersTest {

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp);
        oauth = peers.oauth;
        servers = peers.servers;
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    private static MailServer local(int port) {
        return MailServer.of("127.0.0.1", port, TlsMode.NONE).withTimeout(Duration.ofSeconds(15));
    }

    private static MailLogin bearer(String user, Mechanism m) {
        return new MailLogin.Bearer(user, oauth.clientCredentialsToken("mail", user), m);
    }

    private static OutgoingMail mail(String from, String to, String subject) {
        return new OutgoingMail(UUID.randomUUID() + "@envoi.test", from, List.of(to), List.of(), List.of(from), subject,
                "Bonjour", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of());
    }

    private static void awaitDelivered(String user, long count) throws Exception {
        peers.awaitDelivered(user, count);
    }

    @Test
    void tokensHaveRealisticSize() {
        String t = oauth.clientCredentialsToken("mail", "alice");
        assertTrue(t.length() > 2000 && t.length() < 4500, "a 2-4 KB token: " + t.length());
    }

    @Test
    void mailSentWithXoauth2AndOauthbearerArrivesAndIsReadOverImapAndPop3() throws Exception {
        long before = servers.delivered("bob");
        Set<String> sent = new HashSet<>();
        for (Mechanism m : Mechanism.values()) {
            try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("alice", m))) {
                OutgoingMail out = mail(MailServers.address("alice"), MailServers.address("bob"), "via " + m);
                SendReceipt r = smtp.send(out);
                assertTrue(r.reply().startsWith("250"), r.reply());
                sent.add(out.messageId());
            }
        }
        awaitDelivered("bob", before + 2);

        for (Mechanism m : Mechanism.values()) {
            ImapReader.Fetch first = ImapReader.fetchNew(local(servers.imapPort), bearer("bob", m), "INBOX",
                    ImapMark.NONE);
            Set<String> ids = first.result().stream().map(FetchedMail::messageId).collect(Collectors.toSet());
            assertTrue(ids.containsAll(sent), "IMAP with " + m + " reads both: " + ids);
            for (FetchedMail f : first.result()) {
                assertFalse(new String(f.raw(), StandardCharsets.UTF_8).contains("\nBcc:"),
                        "the copy to the sender travels as a blind copy, without a Bcc header");
            }
            ImapReader.Fetch again = ImapReader.fetchNew(local(servers.imapPort), bearer("bob", m), "INBOX",
                    first.mark());
            assertEquals(List.of(), again.result(), "nothing is fetched twice");
            assertEquals(first.mark(), again.mark());
        }

        List<FetchedMail> pop = Pop3Reader.fetchNew(local(servers.pop3Port), bearer("bob", Mechanism.XOAUTH2),
                Set.of());
        assertTrue(pop.stream().map(FetchedMail::messageId).collect(Collectors.toSet()).containsAll(sent),
                "POP3 with XOAUTH2 reads both");
        Set<String> seen = pop.stream().map(FetchedMail::serverId).collect(Collectors.toSet());
        assertEquals(List.of(), Pop3Reader.fetchNew(local(servers.pop3Port), bearer("bob", Mechanism.XOAUTH2), seen),
                "UIDLs already kept are not fetched again");
    }

    /**
     * Issue 15.1: Postfix at its default {@code line_length_limit} (2048) and Dovecot's submission service (which
     * answers an AUTH line over 512 octets {@code 500 5.5.2 Line too long}) take a 2-4 KB token only after the 334.
     */
    @Test
    void aLongTokenGoesAfterTheContinuationOnStrictSubmissionServers() throws Exception {
        long before = servers.delivered("bob");
        int sent = 0;
        for (int port : List.of(servers.smtpPort, servers.submissionPort)) {
            for (Mechanism m : Mechanism.values()) {
                MailLogin login = bearer("alice", m);
                assertTrue(((MailLogin.Bearer) login).token().length() > 2048, "a token longer than Postfix's line");
                try (SmtpSender smtp = SmtpSender.open(local(port), login)) {
                    String reply = smtp.send(mail(MailServers.address("alice"), MailServers.address("bob"), m
                            + " on port " + port)).reply();
                    assertTrue(reply.startsWith("250"), reply);
                }
                sent++;
            }
        }
        awaitDelivered("bob", before + sent);
    }

    /**
     * Issue 15.1: a syntax or size reply to the AUTH exchange (500/501/5.5.x) says nothing about the token: it must not
     * be read as a refused token (which would ask the operator to sign in again). A response over Postfix's
     * {@code smtpd_sasl_response_limit} (12,288) and over Dovecot submission's limits draws such a reply.
     */
    @Test
    void aSyntaxReplyToAuthIsNotReadAsARefusedToken() {
        String oversized = "x".repeat(13_000);
        for (int port : List.of(servers.smtpPort, servers.submissionPort)) {
            for (Mechanism m : Mechanism.values()) {
                EnvoiException e = assertThrows(EnvoiException.class, () -> SmtpSender.open(local(port),
                        new MailLogin.Bearer("alice", oversized, m)));
                assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code(), m + " on " + port + ": " + e.getMessage());
                assertFalse(e.getMessage().contains("refused the access token"), e.getMessage());
                assertTrue(e.getMessage().contains("not a problem of the token"), e.getMessage());
                assertFalse(e.getMessage().contains(oversized), "no token in the message");
            }
        }
    }

    @Test
    void fetchedMailIsMarkedSeenOrMovedOnlyWhenAsked() throws Exception {
        MailLogin frank = bearer("frank", Mechanism.XOAUTH2);
        long before = servers.delivered("frank");
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("alice", Mechanism.XOAUTH2))) {
            for (String subject : List.of("keep 1", "keep 2", "archive 1")) {
                assertTrue(smtp.send(mail(MailServers.address("alice"), MailServers.address("frank"), subject)).reply()
                        .startsWith("250"));
            }
        }
        awaitDelivered("frank", before + 3);
        ImapReader.Fetch all = ImapReader.fetchNew(local(servers.imapPort), frank, "INBOX", ImapMark.NONE);
        assertEquals(3, all.result().size());
        assertEquals(java.util.Map.of("keep 1", false, "keep 2", false, "archive 1", false), seenFlags(frank, "INBOX"),
                "reading alone marks nothing");

        List<Long> keep = all.result().stream().filter(m -> m.subject().startsWith("keep")).map(m -> Long.parseLong(
                m.serverId())).toList();
        ImapReader.afterFetch(local(servers.imapPort), frank, "INBOX", keep, true, Optional.empty());
        assertEquals(java.util.Map.of("keep 1", true, "keep 2", true, "archive 1", false), seenFlags(frank, "INBOX"),
                "the two asked for are \\Seen");

        List<Long> archive = all.result().stream().filter(m -> m.subject().startsWith("archive")).map(m -> Long
                .parseLong(m.serverId())).toList();
        ImapReader.afterFetch(local(servers.imapPort), frank, "INBOX", archive, false, Optional.of("Archive"));
        assertEquals(java.util.Map.of("keep 1", true, "keep 2", true), seenFlags(frank, "INBOX"),
                "the archived one left INBOX");
        ImapReader.Fetch archived = ImapReader.fetchNew(local(servers.imapPort), frank, "Archive", ImapMark.NONE);
        assertEquals(List.of("archive 1"), archived.result().stream().map(FetchedMail::subject).toList(),
                "the folder was created and holds it, whole");
        assertEquals(List.of(), ImapReader.fetchNew(local(servers.imapPort), frank, "INBOX", all.mark()).result(),
                "nothing comes back in INBOX after a move");
    }

    @Test
    void aFetchThatMarksAndMovesLogsInOnceAndKeepsTheMarkBeforeTouchingTheMails() throws Exception {
        MailLogin eve = bearer("eve", Mechanism.XOAUTH2);
        ImapMark start = ImapReader.fetchNew(local(servers.imapPort), eve, "INBOX", ImapMark.NONE).mark();
        long before = servers.delivered("eve");
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("alice", Mechanism.XOAUTH2))) {
            for (String subject : List.of("order 1", "order 2")) {
                smtp.send(mail(MailServers.address("alice"), MailServers.address("eve"), subject));
            }
        }
        awaitDelivered("eve", before + 2);
        List<String> keptWhileInInbox = new java.util.ArrayList<>();
        try (org.envoi.api.tests.servers.CuttingProxy relay = new org.envoi.api.tests.servers.CuttingProxy(
                servers.imapPort, Long.MAX_VALUE)) {
            ImapReader.Kept k = ImapReader.fetchNew(local(relay.port()), eve, "INBOX", start, f -> {
                // the caller keeps the mails and the mark here: nothing has been marked or moved yet
                f.result().forEach(m -> keptWhileInInbox.add(m.subject()));
                assertEquals(start.highestUid() + 2, f.mark().highestUid());
            }, true, Optional.of("Processed"));
            assertEquals(Optional.empty(), k.tidyFailure());
            assertEquals(java.util.Set.of("order 1", "order 2"), java.util.Set.copyOf(keptWhileInInbox));
            assertEquals(1, relay.connections(), "read, marked and moved on one connection, one login");
        }
        ImapReader.Fetch moved = ImapReader.fetchNew(local(servers.imapPort), eve, "Processed", ImapMark.NONE);
        assertEquals(java.util.Set.of("order 1", "order 2"), moved.result().stream().map(FetchedMail::subject)
                .collect(java.util.stream.Collectors.toSet()));
        assertEquals(java.util.Map.of("order 1", true, "order 2", true), seenFlags(eve, "Processed"));
    }

    /** The \\Seen flag of each mail of a folder by subject (delivery order is not sending order), read only. */
    private static java.util.Map<String, Boolean> seenFlags(MailLogin login, String folderName) throws Exception {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", local(servers.imapPort), login)) {
                jakarta.mail.Folder folder = access.store.getFolder(folderName);
                folder.open(jakarta.mail.Folder.READ_ONLY);
                try {
                    java.util.Map<String, Boolean> out = new java.util.HashMap<>();
                    for (jakarta.mail.Message m : folder.getMessages()) {
                        out.put(m.getSubject(), m.isSet(jakarta.mail.Flags.Flag.SEEN));
                    }
                    return out;
                } finally {
                    folder.close(false);
                }
            }
        });
    }

    @Test
    void newMailOnlyAfterTheMark() throws Exception {
        MailLogin eve = bearer("eve", Mechanism.XOAUTH2);
        ImapReader.Fetch start = ImapReader.fetchNew(local(servers.imapPort), eve, "INBOX", ImapMark.NONE);
        long before = servers.delivered("eve");
        int batch = 20;
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("alice", Mechanism.XOAUTH2))) {
            for (int i = 0; i < batch; i++) {
                assertTrue(smtp.send(mail(MailServers.address("alice"), MailServers.address("eve"), "batch " + i))
                        .reply().startsWith("250"));
            }
            assertTrue(smtp.isConnected(), "one connection for the whole batch");
        }
        awaitDelivered("eve", before + batch);
        ImapReader.Fetch next = ImapReader.fetchNew(local(servers.imapPort), eve, "INBOX", start.mark());
        assertEquals(batch, next.result().size(), "exactly the new ones");
        assertFalse(next.renumbered());
    }

    @Test
    void aRestartFetchesNothingTwiceAndSkipsNothing() throws Exception {
        javax.sql.DataSource db = org.envoi.store.internal.StoreComponent.h2(temp.resolve("marks/envoi"));
        org.envoi.store.internal.Migrations.migrate(db);
        String imapBox = "m365/carol/INBOX";
        String popBox = "m365/carol/POP3";
        MailLogin carol = new MailLogin.Password("carol", MailServers.CAROL_PASSWORD);
        long before = servers.delivered("carol");
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), carol)) {
            for (int i = 0; i < 3; i++) {
                smtp.send(mail(MailServers.address("carol"), MailServers.address("carol"), "before restart " + i));
            }
        }
        awaitDelivered("carol", before + 3);
        var marks = new org.envoi.store.internal.JdbcFetchMarks(db);
        ImapReader.Fetch first = ImapReader.fetchNew(local(servers.imapPort), carol, "INBOX", marks.imapMark(imapBox));
        marks.saveImapMark(imapBox, first.mark());
        List<FetchedMail> pop = Pop3Reader.fetchNew(local(servers.pop3Port), carol, marks.pop3Seen(popBox));
        marks.addPop3Seen(popBox, pop.stream().map(FetchedMail::serverId).toList());

        // the process restarts: only the database remains
        var restarted = new org.envoi.store.internal.JdbcFetchMarks(db);
        assertEquals(List.of(), ImapReader.fetchNew(local(servers.imapPort), carol, "INBOX",
                restarted.imapMark(imapBox)).result());
        assertEquals(List.of(), Pop3Reader.fetchNew(local(servers.pop3Port), carol, restarted.pop3Seen(popBox)));
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), carol)) {
            smtp.send(mail(MailServers.address("carol"), MailServers.address("carol"), "after restart"));
        }
        awaitDelivered("carol", before + 4);
        List<FetchedMail> imapNew = ImapReader.fetchNew(local(servers.imapPort), carol, "INBOX",
                restarted.imapMark(imapBox)).result();
        assertEquals(List.of("after restart"), imapNew.stream().map(FetchedMail::subject).toList());
        assertEquals(List.of("after restart"), Pop3Reader.fetchNew(local(servers.pop3Port), carol,
                restarted.pop3Seen(popBox)).stream().map(FetchedMail::subject).toList());
    }

    /**
     * A host that switched Envoi's JVM-wide SASL provider off (configuration org.envoi.mail.sasl, install=false):
     * OAUTHBEARER, which only Envoi's client speaks, is refused before anything is sent, with a sentence naming the
     * setting. (XOAUTH2 then goes through Angus Mail's own client, which puts the token on the AUTHENTICATE line: Dovecot
     * at its defaults answers a 2-4 KB line "BYE Input buffer full", Microsoft 365 and Gmail take it; README.)
     */
    @Test
    void withoutEnvoisSaslProviderOauthbearerIsRefusedWithTheSettingToChange() {
        EnvoiSaslProvider.uninstall();
        try {
            assertEquals(null, java.security.Security.getProvider("Envoi-SASL"));
            for (boolean smtp : new boolean[] { true, false }) {
                EnvoiException e = assertThrows(EnvoiException.class, () -> {
                    if (smtp) {
                        SmtpSender.open(local(servers.smtpPort), bearer("bob", Mechanism.OAUTHBEARER)).close();
                    } else {
                        ImapReader.fetchNew(local(servers.imapPort), bearer("bob", Mechanism.OAUTHBEARER), "INBOX",
                                ImapMark.NONE);
                    }
                });
                assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("org.envoi.mail.sasl") && e.getMessage().contains("install=true"),
                        e.getMessage());
            }
        } finally {
            SaslRegistration.ensureInstalled();
        }
    }

    @Test
    void refusedTokensGiveAClearErrorAndNoSecret() {
        String bobs = oauth.clientCredentialsToken("mail", "bob");
        String alices = oauth.clientCredentialsToken("mail", "alice");
        String expired = oauth.clientCredentialsToken("mail", "alice-expired");
        String forged = alices.substring(0, alices.lastIndexOf('.') + 1) + "AAAA" + alices.substring(
                alices.lastIndexOf('.') + 5);
        for (String token : List.of(bobs, expired, forged)) {
            for (Mechanism m : Mechanism.values()) {
                EnvoiException smtp = assertThrows(EnvoiException.class, () -> SmtpSender.open(
                        local(servers.smtpPort), new MailLogin.Bearer("alice", token, m)));
                assertEquals(ErrorCode.MAIL_AUTH_FAILED, smtp.code());
                assertTrue(smtp.getMessage().contains("refused the access token for alice"), smtp.getMessage());
                assertTrue(smtp.getMessage().contains("status 401") || smtp.getMessage().contains("status invalid_token"),
                        "the JSON challenge was answered and read: " + smtp.getMessage());
                assertFalse(smtp.getMessage().contains(token) || String.valueOf(smtp.getCause()).contains(token));
                EnvoiException imap = assertThrows(EnvoiException.class, () -> ImapReader.fetchNew(
                        local(servers.imapPort), new MailLogin.Bearer("alice", token, m), "INBOX", ImapMark.NONE));
                assertEquals(ErrorCode.MAIL_AUTH_FAILED, imap.code(), imap.getMessage());
            }
            EnvoiException pop = assertThrows(EnvoiException.class, () -> Pop3Reader.fetchNew(
                    local(servers.pop3Port), new MailLogin.Bearer("alice", token, Mechanism.XOAUTH2), Set.of()));
            assertEquals(ErrorCode.MAIL_AUTH_FAILED, pop.code(), pop.getMessage());
        }
    }

    @Test
    void passwordFlowsWorkToo() throws Exception {
        MailLogin carol = new MailLogin.Password("carol", MailServers.CAROL_PASSWORD);
        long before = servers.delivered("carol");
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), carol)) {
            smtp.send(mail(MailServers.address("carol"), MailServers.address("carol"), "basic flow"));
        }
        awaitDelivered("carol", before + 1);
        assertFalse(ImapReader.fetchNew(local(servers.imapPort), carol, "INBOX", ImapMark.NONE).result().isEmpty());
        EnvoiException wrong = assertThrows(EnvoiException.class, () -> SmtpSender.open(local(servers.smtpPort),
                new MailLogin.Password("carol", "wrong-password")));
        assertEquals(ErrorCode.MAIL_AUTH_FAILED, wrong.code());
        assertFalse(wrong.getMessage().contains("wrong-password"));
    }

    @Test
    void tlsPathsTrustTheCompanyCertificateAuthorityAndNothingElse() throws Exception {
        Path ca = servers.certificateAuthority();
        MailServer smtps = new MailServer(new org.envoi.api.provider.ServerEndpoint("localhost", servers.smtpsPort,
                TlsMode.TLS), Duration.ofSeconds(15), ca);
        MailServer starttls = new MailServer(new org.envoi.api.provider.ServerEndpoint("localhost", servers.smtpPort,
                TlsMode.STARTTLS), Duration.ofSeconds(15), ca);
        long before = servers.delivered("bob");
        Set<String> sent = new HashSet<>();
        for (MailServer smtp : List.of(smtps, starttls)) {
            try (SmtpSender s = SmtpSender.open(smtp, bearer("alice", Mechanism.XOAUTH2))) {
                OutgoingMail m = mail(MailServers.address("alice"), MailServers.address("bob"), "over " + smtp);
                assertTrue(s.send(m).reply().startsWith("250"));
                sent.add(m.messageId());
            }
        }
        awaitDelivered("bob", before + 2);
        MailServer imaps = new MailServer(new org.envoi.api.provider.ServerEndpoint("localhost", servers.imapsPort,
                TlsMode.TLS), Duration.ofSeconds(15), ca);
        MailServer pop3s = new MailServer(new org.envoi.api.provider.ServerEndpoint("localhost", servers.pop3sPort,
                TlsMode.TLS), Duration.ofSeconds(15), ca);
        assertTrue(ImapReader.fetchNew(imaps, bearer("bob", Mechanism.OAUTHBEARER), "INBOX", ImapMark.NONE).result()
                .stream().map(FetchedMail::messageId).collect(Collectors.toSet()).containsAll(sent));
        assertTrue(Pop3Reader.fetchNew(pop3s, bearer("bob", Mechanism.XOAUTH2), Set.of()).stream()
                .map(FetchedMail::messageId).collect(Collectors.toSet()).containsAll(sent));

        MailServer untrusted = new MailServer(smtps.endpoint(), Duration.ofSeconds(15), null);
        EnvoiException e = assertThrows(EnvoiException.class, () -> SmtpSender.open(untrusted,
                bearer("alice", Mechanism.XOAUTH2)));
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("Certificate") || e.getMessage().contains("certification path")
                || e.getMessage().contains("SSL"), "a certificate no trusted authority signed is refused: "
                + e.getMessage());
    }

    /**
     * Issue 15.9a: Dovecot renumbers the mailbox (new UIDVALIDITY), twice. Each re-sync brings only what arrived
     * since, never a mail already handed over, with or without a Message-ID; the keys kept are one per mail the
     * mailbox holds, not one per mail ever fetched; the spool files are gone once the fetch is over.
     */
    /** Waits until the clock has left the second {@code epochSecond} (at once when it is already past). */
    private static void awaitSecondAfter(long epochSecond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.currentTimeMillis() / 1000 <= epochSecond) {
            assertTrue(System.nanoTime() < deadline, "UIDVALIDITY " + epochSecond + " is in the future");
            Thread.sleep(10);
        }
    }

    @Test
    void aRenumberedMailboxBringsOnlyNewMailAndKeepsFewKeys() throws Exception {
        javax.sql.DataSource db = org.envoi.store.internal.StoreComponent.h2(temp.resolve("renumber/envoi"));
        org.envoi.store.internal.Migrations.migrate(db);
        var marks = new org.envoi.store.internal.JdbcFetchMarks(db);
        String box = "imap:renumber:alice:INBOX";
        Path spool = temp.resolve("renumber-spool");
        fetchKept(marks, box, spool); // whatever alice holds from the other tests
        long before = servers.delivered("alice");
        servers.putInMaildir("alice", "no-id", out -> out.write(("From: erp@" + MailServers.DOMAIN + "\r\nTo: "
                + MailServers.address("alice") + "\r\nSubject: without Message-ID\r\n\r\nbody\r\n").getBytes(
                        StandardCharsets.US_ASCII)));
        try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("bob", Mechanism.XOAUTH2))) {
            smtp.send(mail(MailServers.address("bob"), MailServers.address("alice"), "before renumbering"));
        }
        awaitDelivered("alice", before + 2);
        assertEquals(Set.of("without Message-ID", "before renumbering"), Set.copyOf(fetchKept(marks, box, spool)));

        for (int round = 1; round <= 2; round++) {
            long validity = servers.uidValidity("alice");
            servers.renumber("alice");
            awaitSecondAfter(validity); // Dovecot's new UIDVALIDITY is the time in seconds: not the old one's second
            try (SmtpSender smtp = SmtpSender.open(local(servers.smtpPort), bearer("bob", Mechanism.XOAUTH2))) {
                smtp.send(mail(MailServers.address("bob"), MailServers.address("alice"), "after renumbering " + round));
            }
            awaitDelivered("alice", before + 2 + round);
            assertEquals(List.of("after renumbering " + round), fetchKept(marks, box, spool), "round " + round);
            assertTrue(servers.uidValidity("alice") != validity, "Dovecot renumbered the mailbox");
            assertEquals(List.of(), fetchKept(marks, box, spool), "then nothing");
        }
        try (java.sql.Connection c = db.getConnection(); var q = c.prepareStatement(
                "SELECT COUNT(*) FROM fetch_key WHERE mailbox = ?")) {
            q.setString(1, box);
            try (var r = q.executeQuery()) {
                r.next();
                long keys = r.getLong(1);
                assertTrue(keys >= 4 && keys <= servers.delivered("alice"), keys + " keys for "
                        + servers.delivered("alice") + " mails in the mailbox");
            }
        }
        try (var left = java.nio.file.Files.list(spool)) {
            assertEquals(List.of(), left.toList(), "the spool is emptied after each fetch");
        }
    }

    /** Issue 15.9c: POP3 too writes each message to the spool folder, whole, and nothing stays there afterwards. */
    @Test
    void pop3ContentsGoToTheSpoolFolderWhole() throws Exception {
        MailLogin bob = bearer("bob", Mechanism.XOAUTH2);
        java.util.Map<String, String> inMemory = new java.util.HashMap<>();
        for (FetchedMail m : Pop3Reader.fetchNew(local(servers.pop3Port), bob, Set.of())) {
            inMemory.put(m.serverId(), new String(m.raw(), StandardCharsets.ISO_8859_1));
        }
        assertFalse(inMemory.isEmpty(), "bob has mail");
        Path spool = temp.resolve("pop3-spool");
        try (MailSpool files = MailSpool.in(spool)) {
            List<FetchedMail> spooled = Pop3Reader.fetchNew(local(servers.pop3Port), bob, Set.of(), files);
            assertEquals(inMemory.keySet(), spooled.stream().map(FetchedMail::serverId).collect(Collectors.toSet()));
            for (FetchedMail m : spooled) {
                String whole = new String(m.raw(), StandardCharsets.ISO_8859_1);
                assertEquals(inMemory.get(m.serverId()), whole, m.serverId());
                assertEquals(whole.length(), m.size());
            }
        }
        try (var left = java.nio.file.Files.list(spool)) {
            assertEquals(List.of(), left.toList(), "the spool is emptied");
        }
    }

    /** A fetch as MailFetcherService does it: spooled to files, read whole by the keeper, the mark and keys saved. */
    private static List<String> fetchKept(org.envoi.store.internal.JdbcFetchMarks marks, String box, Path spool)
            throws Exception {
        List<String> kept = new java.util.ArrayList<>();
        try (MailSpool files = MailSpool.in(spool)) {
            ImapReader.fetchNew(local(servers.imapPort), bearer("alice", Mechanism.XOAUTH2), "INBOX", marks.imapMark(
                    box), v -> marks.keysBefore(box, v), files, f -> {
                        for (FetchedMail m : f.result()) {
                            assertEquals(m.size(), m.raw().length, "the whole content, readable while kept");
                            kept.add(m.subject());
                        }
                        marks.saveImapMark(box, f.mark(), f.keys(), f.renumbered());
                    }, false, Optional.empty());
        }
        return kept;
    }

    @Test
    void serverDownLeavesTheMailToGoLater() {
        EnvoiException e = assertThrows(EnvoiException.class, () -> SmtpSender.open(
                local(org.envoi.api.tests.servers.TestServers.freePort()), bearer("alice", Mechanism.XOAUTH2)));
        assertEquals(ErrorCode.MAIL_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("stays queued"), e.getMessage());
    }
}
