package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.store.internal.JdbcFlowRepository;
import org.envoi.store.internal.JdbcOperatorRepository;
import org.envoi.store.internal.JdbcOutboxStore;
import org.envoi.store.internal.JdbcSettingsRepository;
import org.envoi.store.internal.Migrations;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every store must do, run against the embedded H2 ({@link H2StoreTest}) and a real PostgreSQL
 * ({@link PostgresStoreTest}) with the same migrations.
 */
abstract class StoreContractTest {

    protected DataSource db;
    protected JdbcFlowRepository flows;
    protected JdbcOperatorRepository operators;
    protected JdbcSettingsRepository settings;
    protected JdbcOutboxStore outbox;

    /** A fresh, empty database for each test. */
    protected abstract DataSource freshDatabase() throws Exception;

    /** Where the outbox keeps its mails' contents as the product runs this database: null for in the rows. */
    protected java.nio.file.Path outboxFolder() {
        return null;
    }

    @BeforeEach
    void open() throws Exception {
        db = freshDatabase();
        assertEquals(7, Migrations.migrate(db));
        assertEquals(7, Migrations.migrate(db), "migrating twice changes nothing");
        flows = new JdbcFlowRepository(db, Clock.systemUTC());
        operators = new JdbcOperatorRepository(db);
        settings = new JdbcSettingsRepository(db);
        outbox = new JdbcOutboxStore(db, Clock.systemUTC(), outboxFolder());
    }

    static Flow flow(String id, String clientId) {
        return new Flow(id, "Microsoft 365 " + id, FlowType.OAUTH2, "microsoft",
                new ProviderFields("contoso.onmicrosoft.com", clientId, "http://127.0.0.1:3017/", List.of(
                        "offline_access", "https://outlook.office.com/SMTP.Send"), ConsentHost.LOOPBACK, false),
                Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(MailServer.of("smtp.office365.com", 587, TlsMode.STARTTLS)),
                Optional.of(MailServer.of("outlook.office365.com", 993, TlsMode.TLS)), Optional.empty(), "",
                Optional.empty(), 10_000_000, Optional.of(LocalDate.of(2027, 3, 1)));
    }

    @org.junit.jupiter.api.AfterEach
    void close() {
        if (db instanceof org.h2.jdbcx.JdbcConnectionPool pool) {
            pool.dispose();
        }
    }

    /**
     * Issue 15.9a: the keys of the fetched mails are kept with the mark; those of an earlier UIDVALIDITY serve the one
     * re-sync after a renumbering, which replaces them by the renumbered mailbox's.
     */
    @Test
    void fetchKeysServeOneResyncAndThenFollowTheMailbox() {
        var marks = new org.envoi.store.internal.JdbcFetchMarks(db);
        String box = "imap:flow:user:INBOX";
        assertEquals(org.envoi.api.mail.ImapMark.NONE, marks.imapMark(box));
        marks.saveImapMark(box, new org.envoi.api.mail.ImapMark(7, 2), List.of("a", "b"), false);
        marks.saveImapMark(box, new org.envoi.api.mail.ImapMark(7, 3), List.of("c"), false);
        assertEquals(new org.envoi.api.mail.ImapMark(7, 3), marks.imapMark(box));
        assertEquals(java.util.Set.of(), marks.keysBefore(box, 7), "nothing to skip while the numbering holds");
        assertEquals(java.util.Set.of("a", "b", "c"), marks.keysBefore(box, 8));

        // the re-sync under UIDVALIDITY 8 found b, c (skipped) and d (new), twice the same Message-ID; a was deleted
        marks.saveImapMark(box, new org.envoi.api.mail.ImapMark(8, 3), List.of("b", "c", "d", "d"), true);
        assertEquals(new org.envoi.api.mail.ImapMark(8, 3), marks.imapMark(box));
        assertEquals(java.util.Set.of(), marks.keysBefore(box, 8));
        assertEquals(java.util.Set.of("b", "c", "d"), marks.keysBefore(box, 9), "the old numbering's keys are gone");
        assertEquals(java.util.Set.of(), marks.keysBefore("imap:flow:other:INBOX", 1));
        marks.saveImapMark("imap:flow:other:INBOX", new org.envoi.api.mail.ImapMark(3, 1));
        marks.saveImapMark("imap:flow:other:INBOX", new org.envoi.api.mail.ImapMark(3, 5));
        assertEquals(new org.envoi.api.mail.ImapMark(3, 5), marks.imapMark("imap:flow:other:INBOX"), "the mark alone");
    }

    /** POP3 keeps the UIDLs handed over, each once, whatever the database (a UIDL saved twice is no error). */
    @Test
    void pop3UidlsAreKeptOnceAcrossSaves() {
        var marks = new org.envoi.store.internal.JdbcFetchMarks(db);
        String box = "pop3:flow:user";
        assertEquals(java.util.Set.of(), marks.pop3Seen(box));
        marks.addPop3Seen(box, List.of("u1", "u2"));
        marks.addPop3Seen(box, List.of("u2", "u3", "u3"));
        assertEquals(java.util.Set.of("u1", "u2", "u3"), marks.pop3Seen(box));
        assertEquals(java.util.Set.of(), marks.pop3Seen("pop3:flow:other"));
    }

    /** Issue 17: a mark that is one opaque text (Graph's delta link, long), per mailbox, replaced at each save. */
    @Test
    void textMarksAreKeptPerMailboxAndReplaced() {
        var marks = new org.envoi.store.internal.JdbcFetchMarks(db);
        String box = "graph:flow:user:inbox";
        assertEquals(Optional.empty(), marks.textMark(box));
        String link = "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken="
                + "Ab-9_".repeat(800);
        marks.saveTextMark(box, link);
        assertEquals(Optional.of(link), marks.textMark(box));
        marks.saveTextMark(box, link + "next");
        assertEquals(Optional.of(link + "next"), marks.textMark(box), "replaced, not added");
        assertEquals(Optional.empty(), marks.textMark("graph:flow:other:inbox"));
    }

    /** Issue 17: a flow names its transport and carries that transport's settings; both are stored. */
    @Test
    void aFlowsTransportAndSettingsAreStoredAndReadBack() {
        Flow g = flow("graph-1", "11111111-2222-3333-4444-555555555555").withTransport("graph", java.util.Map.of(
                "graph.url", "https://graph.microsoft.com/v1.0", "files.large", "onedrive"));
        flows.save(g);
        Flow back = flows.flow("graph-1").orElseThrow();
        assertEquals("graph", back.transport());
        assertEquals(g.settings(), back.settings());
        assertEquals(g, back);
    }

    /** A row written before transports existed (no transport, no settings in its JSON) reads as an SMTP flow. */
    @Test
    void aFlowStoredBeforeTransportsReadsAsSmtpWithNoSettings() throws Exception {
        try (java.sql.Connection c = db.getConnection(); java.sql.PreparedStatement p = c.prepareStatement(
                "INSERT INTO flow (id, name, definition, updated) VALUES (?, ?, ?, ?)")) {
            p.setString(1, "old");
            p.setString(2, "Old");
            p.setString(3, "{\"id\": \"old\", \"name\": \"Old\", \"type\": \"basic\", \"provider\": \"custom\","
                    + " \"smtp\": {\"host\": \"smtp.example.com\", \"port\": 587, \"security\": \"starttls\"},"
                    + " \"username\": \"compta\", \"attachmentLimitBytes\": 0}");
            p.setTimestamp(4, java.sql.Timestamp.from(Instant.now()));
            assertEquals(1, p.executeUpdate());
        }
        Flow old = flows.flow("old").orElseThrow();
        assertEquals("smtp", old.transport());
        assertEquals(java.util.Map.of(), old.settings());
    }

    @Test
    void flowsAreSavedReadUpdatedAndRemoved() {
        Flow f = flow("m365", "11111111-2222-3333-4444-555555555555");
        flows.save(f);
        assertEquals(f, flows.flow("m365").orElseThrow(), "read back equal, field by field");
        Flow custom = new Flow("custom-1", "Custom", FlowType.OAUTH2, "custom", f.oauth(),
                Optional.of(URI.create("https://id.example.com/authorize")),
                Optional.of(URI.create("https://id.example.com/token")), Optional.empty(), f.smtp(), Optional.empty(),
                Optional.of(MailServer.of("pop.example.com", 995, TlsMode.TLS)), "shared", Optional.of(
                        "factures@example.com"), 0, Optional.empty());
        flows.save(custom);
        assertEquals(custom, flows.flow("custom-1").orElseThrow());
        Flow renamed = new Flow("m365", "Renamed", f.type(), f.providerId(), f.oauth(), f.authorizationUri(),
                f.tokenUri(), f.deviceUri(), f.smtp(), f.imap(), f.pop(), f.username(), f.genericAddress(),
                f.attachmentLimitBytes(), f.secretExpiry());
        flows.save(renamed);
        assertEquals("Renamed", flows.flow("m365").orElseThrow().name());
        assertEquals(List.of("custom-1", "m365"), flows.flows().stream().map(Flow::id).toList());
        assertTrue(flows.remove("custom-1"));
        assertFalse(flows.remove("custom-1"));
        assertTrue(flows.flow("custom-1").isEmpty());
    }

    @Test
    void anOperatorInheritsTheGroupsFlowUnlessAssignedDirectly() {
        flows.save(flow("sales", "a"));
        flows.save(flow("billing", "b"));
        operators.save(new OperatorGroup("commerciaux", "Commerciaux", Optional.of("sales")));
        operators.save(new Operator("jdupont", "Jean Dupont", "jean@example.com", Optional.of("commerciaux"),
                Optional.empty(), "Jean - poste 12", "Cordialement, Jean"));
        operators.save(new Operator("mmartin", "Marie Martin", "marie@example.com", Optional.of("commerciaux"),
                Optional.of("billing"), "", ""));
        operators.save(new Operator("nobody", "Sans flux", "n@example.com", Optional.empty(), Optional.empty(), "",
                ""));
        assertEquals(Optional.of("sales"), operators.flowOf("jdupont"));
        assertEquals(Optional.of("billing"), operators.flowOf("mmartin"), "a direct assignment wins");
        assertEquals(Optional.empty(), operators.flowOf("nobody"));
        assertEquals(List.of("jdupont"), operators.members("sales").stream().map(Operator::id).toList());
        assertEquals("Cordialement, Jean", operators.operator("jdupont").orElseThrow().signature());

        assertTrue(flows.remove("sales"));
        assertEquals(Optional.empty(), operators.flowOf("jdupont"), "removing a flow detaches its group");
        assertEquals(Optional.of("billing"), operators.flowOf("mmartin"));
        assertTrue(operators.removeGroup("commerciaux"));
        assertEquals(Optional.empty(), operators.operator("jdupont").orElseThrow().groupId());
    }

    @Test
    void anUnknownFlowCannotBeAssignedAndNothingChanges() {
        operators.save(new Operator("op", "Op", "op@example.com", Optional.empty(), Optional.empty(), "", ""));
        EnvoiException e = assertThrows(EnvoiException.class, () -> operators.save(new Operator("op", "Op",
                "op@example.com", Optional.empty(), Optional.of("no-such-flow"), "", "")));
        assertEquals(ErrorCode.STORE_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("nothing was changed"), e.getMessage());
        assertEquals(Optional.empty(), operators.operator("op").orElseThrow().flowId());
    }

    @Test
    void theErpsDocumentsComeAsEditableSeedSettings() {
        List<String> codes = settings.mailSettings().stream().map(MailSetting::diffusionCode).toList();
        assertTrue(codes.containsAll(List.of("BL", "FACTURE CLIENT", "AVOIR CLIENT", "DEVIS CLIENT",
                "RELANCE CLIENT", "COMMANDE FOURNISSEUR")), codes.toString());
        MailSetting bl = settings.mailSetting("BL").orElseThrow();
        assertEquals("[SOCIETE] - Bon de livraison [ID_BL]", bl.subject());
        assertTrue(bl.body().contains("\n\nVeuillez trouver"), "line breaks survive the migration: " + bl.body());
        assertEquals("BL_[ID_BL].pdf", bl.fileNamePattern());
        MailSetting edited = new MailSetting("BL", bl.label(), "BL [ID_BL] de [SOCIETE]", bl.body(), true,
                OutgoingMail.Priority.HIGH, true, true, "Livraison-[ID_BL].pdf", true, "pdf", "Le service");
        settings.save(edited);
        assertEquals(edited, settings.mailSetting("BL").orElseThrow());
        assertTrue(settings.removeMailSetting("BL"));
        assertTrue(settings.mailSetting("BL").isEmpty());
    }

    @Test
    void theCompanyWithItsLogoAndKeptCopiesRoundTrip() {
        assertEquals(Company.empty().name(), settings.company().name());
        byte[] logo = { (byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3 };
        settings.save(new Company("ACME SARL", "ACME SARL - 1 rue de la Paix, Paris", Optional.of(logo), "image/png"));
        Company c = settings.company();
        assertEquals("ACME SARL", c.name());
        assertArrayEquals(logo, c.logo().orElseThrow());
        settings.save(new Company("ACME SAS", "", Optional.empty(), "image/png"));
        assertTrue(settings.company().logo().isEmpty(), "a removed logo is gone");
        byte[] pdf = "%PDF-1.7 copy".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long id = settings.keepCopy("BL", "jdupont", "x@example.com", "BL_42.pdf", "pdf", pdf, Instant.now());
        assertArrayEquals(pdf, settings.copy(id).orElseThrow());
    }

    @Test
    void theOutboxRunsOnThisDatabaseToo() {
        OutgoingMail m = new OutgoingMail("contract-" + System.nanoTime() + "@example.com", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "Sujet", "Corps", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of(new org.envoi.api.mail.Attachment("a.pdf", "application/pdf",
                        new byte[] { 1, 2, 3 })));
        long id = outbox.enqueue("f", "op", m);
        List<org.envoi.api.mail.OutboxStore.Claimed> claimed = outbox.claimDue(Instant.now().plusSeconds(1), 10);
        assertEquals(1, claimed.size());
        assertArrayEquals(new byte[] { 1, 2, 3 }, claimed.get(0).mail().attachments().get(0).content());
        assertEquals(State.SENDING, outbox.entry(id).orElseThrow().state());
        assertEquals(3, contentBytes(id) - headOf(id), "the queued mail holds its attachment");
        outbox.markSent(id, "250 2.0.0 Ok", Instant.now());
        assertEquals(1, outbox.count(State.SENT));
        assertEquals(0, contentBytes(id), "a sent mail's content is not kept in the outbox");
        assertEquals("250 2.0.0 Ok", outbox.entry(id).orElseThrow().lastReply(), "its row and answer are");

        // several at once, in one transaction: each its own answer, contents dropped
        long a = outbox.enqueue("f", "op", withId(m, "contract-a-" + System.nanoTime() + "@example.com"));
        long b = outbox.enqueue("f", "op", withId(m, "contract-b-" + System.nanoTime() + "@example.com"));
        assertEquals(2, outbox.claimDue(Instant.now().plusSeconds(1), 10).size());
        outbox.markSent(List.of(new org.envoi.api.mail.OutboxStore.Sent(a, "250 a", Instant.now()),
                new org.envoi.api.mail.OutboxStore.Sent(b, "250 b", Instant.now())));
        assertEquals(3, outbox.count(State.SENT));
        assertEquals("250 a", outbox.entry(a).orElseThrow().lastReply());
        assertEquals("250 b", outbox.entry(b).orElseThrow().lastReply());
        assertEquals(0, contentBytes(a) + contentBytes(b));
    }

    @Test
    void aClaimTakesTheOldestDueMailsWhateverTheirState() {
        OutgoingMail m = new OutgoingMail("order-" + System.nanoTime() + "@example.com", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "Sujet", "Corps", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of());
        long first = outbox.enqueue("f", "op", withId(m, "1-" + m.messageId()));
        long second = outbox.enqueue("f", "op", withId(m, "2-" + m.messageId()));
        long third = outbox.enqueue("f", "op", withId(m, "3-" + m.messageId()));
        long fourth = outbox.enqueue("f", "op", withId(m, "4-" + m.messageId()));
        Instant now = Instant.now().plusSeconds(1);
        assertEquals(List.of(first, second), ids(outbox.claimDue(now, 2)));
        outbox.markRetry(first, "421 busy", now, now); // due again at once
        outbox.markRetry(second, "421 busy", now.plusSeconds(3600), now); // in an hour
        assertEquals(List.of(first, third), ids(outbox.claimDue(now, 2)), "the due retry before newer mails");
        assertEquals(List.of(fourth), ids(outbox.claimDue(now, 2)), "the retry not yet due waits");
        assertEquals(List.of(second), ids(outbox.claimDue(now.plusSeconds(3601), 2)));
    }

    /**
     * A store that makes the acceptance durable as a SENT row (PostgreSQL, shared by several desks) writes the server's
     * own answer with it: another desk's {@code outbox retry --wait} that reads the row SENT prints that answer, not a
     * placeholder (seen in SharedDatabaseProductTest: "mail 1 sent <…>: accepted by the server").
     */
    @Test
    void aMailReadSentCarriesTheServersAnswerFromTheMomentItWasAccepted() {
        OutgoingMail m = new OutgoingMail("answer-" + System.nanoTime() + "@example.com", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "Sujet", "Corps", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of());
        long id = outbox.enqueue("f", "op", m);
        Instant now = Instant.now().plusSeconds(1);
        assertTrue(ids(outbox.claimDue(now, 10)).contains(id));
        String reply = "250 2.0.0 Ok: queued as 4XyZ";
        boolean durable = outbox.accepted(id, reply);
        org.envoi.api.mail.OutboxEntry e = outbox.entry(id).orElseThrow();
        if (e.state() == State.SENT) {
            assertTrue(durable);
            assertEquals(reply, e.lastReply(), "a row read SENT has the server's answer");
        } else {
            assertEquals(State.SENDING, e.state(), "until its mark, a mail accepted on H2 stays SENDING");
        }
        outbox.markSent(id, reply, now);
        assertEquals(reply, outbox.entry(id).orElseThrow().lastReply());
    }

    /**
     * Issue 16.4: a mail the store was told the server accepted is never sent again, on every store: H2 with its outbox
     * folder removes the content file, PostgreSQL commits the SENT mark before {@code accepted} returns. (A real kill
     * between the 250 and the mark: the mail tests' AcceptedKillTest.)
     */
    @Test
    void aMailTheServerAcceptedIsNotSentAgainAfterACrash() {
        OutgoingMail m = new OutgoingMail("accepted-" + System.nanoTime() + "@example.com", "a@example.com",
                List.of("b@example.com"), List.of(), List.of(), "Sujet", "Corps", false, OutgoingMail.Priority.NORMAL,
                Optional.empty(), List.of(new org.envoi.api.mail.Attachment("a.pdf", "application/pdf",
                        new byte[] { 1 })));
        long accepted = outbox.enqueue("f", "op", withId(m, "a-" + m.messageId()));
        long onTheWire = outbox.enqueue("f", "op", withId(m, "w-" + m.messageId()));
        Instant now = Instant.now().plusSeconds(1);
        assertEquals(2, outbox.claimDue(now, 10).size());
        assertTrue(outbox.accepted(accepted), "the acceptance is durable when accepted() returns");
        // ...and the process dies before the SENT mark with the server's answer
        JdbcOutboxStore restarted = new JdbcOutboxStore(db, Clock.systemUTC(), outboxFolder());
        assertEquals(0, restarted.recoverInterrupted(now.plusSeconds(60)), "nothing while the claim holds");
        assertEquals(State.SENDING, restarted.entry(onTheWire).orElseThrow().state());
        Instant lapsed = now.plus(JdbcOutboxStore.CLAIM_LEASE).plusSeconds(1);
        assertEquals(1, restarted.recoverInterrupted(lapsed), "only the mail on the wire goes again");
        assertEquals(State.RETRY, restarted.entry(onTheWire).orElseThrow().state());
        assertEquals(State.SENT, restarted.entry(accepted).orElseThrow().state(), "not sent twice");
        assertTrue(restarted.entry(accepted).orElseThrow().lastReply().contains("accepted by the server"));
        assertEquals(List.of(onTheWire), ids(restarted.claimDue(lapsed.plusSeconds(1), 10)), "nor claimed again");
        assertEquals(0, contentBytes(accepted), "its content is not kept");

        // the worker's mark with the server's answer, when the process lives on, counts one attempt, not two
        restarted.markSent(onTheWire, "250 2.0.0 Ok: queued", lapsed);
        long next = outbox.enqueue("f", "op", withId(m, "n-" + m.messageId()));
        assertEquals(List.of(next), ids(outbox.claimDue(lapsed.plusSeconds(2), 10)));
        assertTrue(outbox.accepted(next));
        outbox.markSent(next, "250 2.0.0 Ok: queued as N", lapsed.plusSeconds(2));
        assertEquals(State.SENT, outbox.entry(next).orElseThrow().state());
        assertEquals("250 2.0.0 Ok: queued as N", outbox.entry(next).orElseThrow().lastReply());
        assertEquals(1, outbox.entry(next).orElseThrow().attempts());
    }

    @Test
    void aMailAnotherProcessIsSendingIsLeftToItUntilItStopsRenewingItsClaim() {
        long id = outbox.enqueue("f", "op", mail("held-" + System.nanoTime() + "@example.com"));
        Instant claimed = Instant.now().plusSeconds(1);
        assertEquals(List.of(id), ids(outbox.claimDue(claimed, 10)));
        // the CLI beside the desktop, or another desk on the shared database, starts its worker
        JdbcOutboxStore other = new JdbcOutboxStore(db, Clock.systemUTC(), outboxFolder());
        Duration lease = JdbcOutboxStore.CLAIM_LEASE;
        assertEquals(0, other.recoverInterrupted(claimed.plus(lease).minusSeconds(1)), "the claim holds");
        Instant renewed = claimed.plus(lease).minusSeconds(10);
        outbox.keepClaimed(List.of(id), renewed); // the sending process is alive: it renews
        assertEquals(0, other.recoverInterrupted(claimed.plus(lease).plusSeconds(1)), "renewed, it holds on");
        assertEquals(State.SENDING, other.entry(id).orElseThrow().state());
        assertEquals(List.of(), ids(other.claimDue(claimed.plus(lease).plusSeconds(1), 10)), "nor claimed twice");
        // the sending process stops (killed): no more renewals
        assertEquals(1, other.recoverInterrupted(renewed.plus(lease).plusSeconds(1)), "lapsed: it goes again");
        assertEquals(State.RETRY, other.entry(id).orElseThrow().state());
        outbox.keepClaimed(List.of(id), renewed.plus(lease).plusSeconds(2)); // a late renewal changes nothing
        assertEquals(List.of(id), ids(other.claimDue(renewed.plus(lease).plusSeconds(2), 10)));
    }

    @Test
    void retryPutsStoppedAndBackedOffMailsBackAtOnceButNeverOneAnotherEnvoiIsSending() {
        long backedOff = outbox.enqueue("f", "op", mail("r-retry-" + System.nanoTime() + "@example.com"));
        long failed = outbox.enqueue("f", "op", mail("r-failed-" + System.nanoTime() + "@example.com"));
        long consent = outbox.enqueue("f", "op", mail("r-consent-" + System.nanoTime() + "@example.com"));
        long held = outbox.enqueue("f", "op", mail("r-held-" + System.nanoTime() + "@example.com"));
        long sent = outbox.enqueue("f", "op", mail("r-sent-" + System.nanoTime() + "@example.com"));
        Instant now = Instant.now();
        assertEquals(5, outbox.claimDue(now.plusSeconds(1), 10).size());
        outbox.markRetry(backedOff, "connection refused", now.plusSeconds(3600), now); // the server was down
        outbox.markFailed(failed, "550 5.7.1 refused", now);
        outbox.markWaitingConsent(consent, "invalid_grant", now);
        outbox.markSent(sent, "250 2.0.0 Ok", now);
        // held stays SENDING under the live claim of the Envoi sending it
        for (long id : List.of(backedOff, failed, consent, held, sent)) {
            outbox.retry(id);
        }
        assertEquals(State.SENDING, outbox.entry(held).orElseThrow().state(), "left to the Envoi sending it");
        assertEquals(State.SENT, outbox.entry(sent).orElseThrow().state(), "a sent mail is not sent again");
        assertEquals(List.of(backedOff, failed, consent), ids(outbox.claimDue(Instant.now().plusSeconds(1), 10)),
                "back in the queue at once, the back-off ignored");
    }

    private static List<Long> ids(List<org.envoi.api.mail.OutboxStore.Claimed> claimed) {
        return claimed.stream().map(c -> c.entry().id()).toList();
    }

    private static OutgoingMail mail(String messageId) {
        return new OutgoingMail(messageId, "a@example.com", List.of("b@example.com"), List.of(), List.of(), "Sujet",
                "Corps", false, OutgoingMail.Priority.NORMAL, Optional.empty(), List.of(
                        new org.envoi.api.mail.Attachment("a.pdf", "application/pdf", new byte[] { 1 })));
    }

    private static OutgoingMail withId(OutgoingMail m, String messageId) {
        return new OutgoingMail(messageId, m.from(), m.to(), m.cc(), m.bcc(), m.subject(), m.body(), m.html(),
                m.priority(), m.readReceiptTo(), m.attachments());
    }

    /** The stored mail's size, read past the store's API. */
    private long contentBytes(long id) {
        return storedMail(id).length;
    }

    /** The length prefix and JSON head of the stored mail (everything but the attachment's bytes). */
    private long headOf(long id) {
        return 4 + java.nio.ByteBuffer.wrap(storedMail(id)).getInt();
    }

    /** The stored mail: its row's content, or its file in the outbox folder (empty once removed). */
    private byte[] storedMail(long id) {
        byte[] inRow = contentInRow(id);
        if (outboxFolder() == null) {
            return inRow;
        }
        assertEquals(0, inRow.length, "with an outbox folder the row holds no content");
        java.nio.file.Path file = outbox.contentFile(id).orElseThrow();
        try {
            return java.nio.file.Files.exists(file) ? java.nio.file.Files.readAllBytes(file) : new byte[0];
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private byte[] contentInRow(long id) {
        try (java.sql.Connection c = db.getConnection();
                java.sql.PreparedStatement p = c.prepareStatement("SELECT mail FROM outbox WHERE id = ?")) {
            p.setLong(1, id);
            try (java.sql.ResultSet r = p.executeQuery()) {
                r.next();
                return r.getBytes(1);
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void twoSendersOnOneDatabaseNeverClaimTheSameMail() throws Exception {
        // the desktop and a CLI command, each with its own store, serving one outbox
        JdbcOutboxStore other = new JdbcOutboxStore(db, Clock.systemUTC(), outboxFolder());
        int mails = 120;
        for (int i = 0; i < mails; i++) {
            outbox.enqueue("f", "op", new OutgoingMail("twice-" + i + "-" + System.nanoTime() + "@example.com",
                    "a@example.com", List.of("b@example.com"), List.of(), List.of(), "Sujet " + i, "Corps", false,
                    OutgoingMail.Priority.NORMAL, Optional.empty(), List.of()));
        }
        java.util.Map<Long, Integer> claims = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> senders = new java.util.ArrayList<>();
        java.util.List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (JdbcOutboxStore store : List.of(outbox, other, outbox, other)) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    List<org.envoi.api.mail.OutboxStore.Claimed> got;
                    do {
                        got = store.claimDue(Instant.now().plusSeconds(1), 7);
                        got.forEach(c -> claims.merge(c.entry().id(), 1, Integer::sum));
                    } while (!got.isEmpty());
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            senders.add(t);
        }
        go.countDown();
        for (Thread t : senders) {
            t.join(60_000);
        }
        assertEquals(List.of(), failures);
        assertEquals(mails, claims.size(), "every mail is claimed");
        assertEquals(List.of(), claims.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(java.util.Map.Entry::getKey).toList(), "no mail is claimed (and so sent) twice");
        assertEquals(mails, outbox.count(State.SENDING));
    }
}
