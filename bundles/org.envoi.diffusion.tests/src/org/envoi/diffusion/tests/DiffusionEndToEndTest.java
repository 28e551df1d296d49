package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MicrosoftSmtpPeer;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.envoi.api.tests.servers.TestServers;
import org.envoi.diffusion.internal.FlowClients;
import org.envoi.mail.internal.ImapReader;
import org.envoi.mail.internal.MailClassLoader;
import org.envoi.mail.internal.SaslRegistration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/**
 * The pipeline as the product runs it, every part real and wired by Declarative Services: the store, the vault, the
 * OAuth engine (tokens from a real OAuth server), the flow administration, the diffusion, the background outbox
 * sender, Postfix validating the bearer token at the OAuth server and delivering to Dovecot, read back over IMAP.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DiffusionEndToEndTest {

    /** A 1x1 PNG. */
    static final byte[] LOGO = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    @TempDir(cleanup = CleanupMode.NEVER)
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;
    private static BundleContext ctx;
    private static FlowAdmin admin;
    private static OperatorRepository operators;
    private static SettingsRepository settings;
    private static Diffusion diffusion;
    private static Outbox outbox;
    private static String flowId;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp);
        oauth = peers.oauth;
        servers = peers.servers;
        ctx = OsgiServices.context(DiffusionEndToEndTest.class);
        admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        settings = OsgiServices.get(ctx, SettingsRepository.class, null);
        diffusion = OsgiServices.get(ctx, Diffusion.class, null);
        outbox = OsgiServices.get(ctx, Outbox.class, null);

        // a generic flow: every operator sends as the shared mailbox alice@, app-only token from the OAuth server
        flowId = "shared-" + System.nanoTime();
        Flow flow = new Flow(flowId, "Boîte partagée", FlowType.OAUTH2, "custom", new ProviderFields("", "alice", "",
                List.of("mail"), ConsentHost.PRINT, true), Optional.of(oauth.authorizationEndpoint("mail")),
                Optional.of(oauth.tokenEndpoint("mail")), Optional.empty(),
                Optional.of(MailServer.of("127.0.0.1", servers.senderCheckedSmtpPort, TlsMode.NONE).withTimeout(
                        Duration.ofSeconds(20))),
                Optional.of(MailServer.of("127.0.0.1", servers.imapPort, TlsMode.NONE)), Optional.empty(), "alice",
                Optional.of(MailServers.address("alice")), 2_000_000, Optional.empty());
        admin.save(flow, Optional.of("the-client-secret"));
        TokenService tokens = OsgiServices.get(ctx, TokenService.class, null);
        tokens.clientCredentials(FlowClients.client(flow, OsgiServices.get(ctx, ProviderRegistry.class, null)));

        operators.save(new OperatorGroup("ventes", "Ventes", Optional.of(flowId)));
        operators.save(new Operator("jdupont", "Jean Dupont", "jean.dupont@example.test", Optional.of("ventes"),
                Optional.empty(), "Jean Dupont - Service commercial - 01 23 45 67 89", "Cordialement,\nJean"));
        operators.save(new Operator("orphan", "Sans flux", "orphan@example.test", Optional.empty(), Optional.empty(),
                "", ""));
        settings.save(new Company("ACME SARL", "ACME SARL, 1 rue de la Paix, 75002 Paris", Optional.of(LOGO),
                "image/png"));
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    static DocumentContext bl(String number, String client) {
        return new DocumentContext("BL", Map.of("ID_BL", number, "CLIENT", client, "DATE", "22/11/2026"), List.of(
                new DocumentContext.Line("A-100", "Palette de vis inox", new BigDecimal("3"), null),
                new DocumentContext.Line("B-220", "Écrous M8", new BigDecimal("150"), null)));
    }

    @Test
    void aDeliveryNoteArrivesWithKeywordsFootersSignatureLogoAndNamedPdf() throws Exception {
        long before = servers.delivered("bob");
        byte[] pdf = "%PDF-1.7\n% a delivery note from the ERP\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Diffusion.Sent sent = diffusion.send(bl("BL-2026-0042", "Dupuis & Fils <b>"),
                List.of(new Attachment("erp-print.pdf", "application/pdf", pdf)), "jdupont",
                List.of(MailServers.address("bob")), List.of());
        assertEquals("ACME SARL - Bon de livraison BL-2026-0042", sent.subject());
        assertEquals(MailServers.address("alice"), sent.from(), "a generic flow sends as the shared mailbox");
        assertEquals(Optional.of("BL_BL-2026-0042.pdf"), sent.documentName());

        awaitDelivered("bob", before + 1);
        OutboxEntry entry = outbox.entry(sent.outboxId()).orElseThrow();
        assertEquals(OutboxEntry.State.SENT, entry.state(), () -> "outbox: " + entry);
        assertTrue(entry.lastReply().startsWith("250"), entry.lastReply());

        MimeMessage m = readBack(sent.messageId());
        MailClassLoader.call(() -> {
            assertEquals("ACME SARL - Bon de livraison BL-2026-0042", m.getSubject());
            assertEquals(MailServers.address("alice"), m.getFrom()[0].toString());
            List<Part> parts = new ArrayList<>();
            flatten(m, parts);
            String html = null;
            Part logo = null;
            Part document = null;
            for (Part p : parts) {
                if (p.isMimeType("text/html")) {
                    html = (String) p.getContent();
                } else if (p.isMimeType("image/png")) {
                    logo = p;
                } else if (p.isMimeType("application/pdf")) {
                    document = p;
                }
            }
            assertTrue(html != null, "an HTML body");
            assertTrue(html.contains("bon de livraison BL-2026-0042"), html);
            assertTrue(html.contains("Jean Dupont - Service commercial"), "operator's footer: " + html);
            assertTrue(html.contains("Cordialement,<br>"), "operator's signature: " + html);
            assertTrue(html.contains("ACME SARL, 1 rue de la Paix"), "company's footer: " + html);
            assertTrue(html.contains("src=\"cid:envoi-logo\""), html);
            assertTrue(logo != null && "<envoi-logo>".equals(((jakarta.mail.internet.MimeBodyPart) logo)
                    .getContentID()), "the logo travels inline with its Content-ID");
            assertTrue(document != null, "the PDF is attached");
            assertEquals("BL_BL-2026-0042.pdf", document.getFileName());
            assertEquals(Part.ATTACHMENT, document.getDisposition());
            assertEquals(new String(pdf, java.nio.charset.StandardCharsets.US_ASCII), new String(
                    document.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII));
            return null;
        });
    }

    /**
     * Two generic flows send as the shared mailbox {@link MailServers#SHARED_MAILBOX} through a server that checks
     * "Send As" rights (Postfix's reject_sender_login_mismatch, where Microsoft answers 554 5.2.252 SendAsDenied):
     * alice's login holds them and her mail arrives from the shared mailbox; eve's does not, the server refuses it, and
     * the outbox says that eve lacks "Send As" rights on that mailbox and what to do.
     */
    @Test
    void sendingAsTheSharedMailboxNeedsSendAsRightsOnIt() throws Exception {
        String permitted = sharedMailboxFlow("alice");
        String denied = sharedMailboxFlow("eve");
        operators.save(new Operator("marie", "Marie", "marie@example.test", Optional.empty(), Optional.of(permitted),
                "", ""));
        operators.save(new Operator("eric", "Eric", "eric@example.test", Optional.empty(), Optional.of(denied), "",
                ""));
        long before = servers.delivered("bob");
        List<Attachment> pdf = List.of(new Attachment("a.pdf", "application/pdf", new byte[] { 1 }));
        Diffusion.Sent refused = diffusion.send(bl("BL-SENDAS-EVE", "c"), pdf, "eric", List.of(MailServers.address(
                "bob")), List.of());
        Diffusion.Sent sent = diffusion.send(bl("BL-SENDAS-ALICE", "c"), pdf, "marie", List.of(MailServers.address(
                "bob")), List.of());
        assertEquals(MailServers.SHARED_MAILBOX, refused.from());

        OutboxEntry entry = awaitStopped(refused.outboxId());
        assertEquals(OutboxEntry.State.FAILED, entry.state(), () -> "eve's mail refused for good: " + entry);
        String reason = entry.lastReply();
        assertTrue(reason.contains("eve") && reason.contains("\"Send As\" rights") && reason.contains(
                MailServers.SHARED_MAILBOX) && reason.contains("553 5.7.1"), "who lacks which right on what, with the"
                        + " server's answer: " + reason);
        assertTrue(reason.contains("administrator"), "what to do: " + reason);
        awaitDelivered("bob", before + 1);
        MimeMessage m = readBack(sent.messageId());
        MailClassLoader.call(() -> {
            assertEquals(MailServers.SHARED_MAILBOX, m.getFrom()[0].toString(), "alice sent as the shared mailbox");
            return null;
        });
        servers.awaitQueueEmpty();
        assertEquals(before + 1, servers.delivered("bob"), "eve's mail never arrived");
    }

    /** A generic flow sending as the shared mailbox, signed in (app-only) as {@code login}. */
    private static String sharedMailboxFlow(String login) {
        String id = "factures-" + login + "-" + System.nanoTime();
        Flow flow = new Flow(id, "Factures (" + login + ")", FlowType.OAUTH2, "custom", new ProviderFields("", login,
                "", List.of("mail"), ConsentHost.PRINT, true), Optional.of(oauth.authorizationEndpoint("mail")),
                Optional.of(oauth.tokenEndpoint("mail")), Optional.empty(), Optional.of(MailServer.of("127.0.0.1",
                        servers.senderCheckedSmtpPort, TlsMode.NONE).withTimeout(Duration.ofSeconds(20))),
                Optional.empty(), Optional.empty(), login, Optional.of(MailServers.SHARED_MAILBOX), 2_000_000,
                Optional.empty());
        admin.save(flow, Optional.of("the-client-secret"));
        OsgiServices.get(ctx, TokenService.class, null).clientCredentials(FlowClients.client(flow, OsgiServices.get(
                ctx, ProviderRegistry.class, null)));
        return id;
    }

    /** Waits up to 30 s for the mail to leave the queue's sending states. */
    private static OutboxEntry awaitStopped(long id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        OutboxEntry e = outbox.entry(id).orElseThrow();
        while (System.nanoTime() < deadline && (e.state() == OutboxEntry.State.QUEUED || e.state()
                == OutboxEntry.State.SENDING)) {
            Thread.sleep(50);
            e = outbox.entry(id).orElseThrow();
        }
        return e;
    }

    @Test
    void keywordValuesCannotInjectHeadersOrHtml() throws Exception {
        long before = servers.delivered("bob");
        Diffusion.Sent sent = diffusion.send(new DocumentContext("BL", Map.of("ID_BL", "42\r\nBcc: eve@example.test",
                "CLIENT", "x"), List.of()), List.of(new Attachment("a.pdf", "application/pdf", new byte[] { 1 })),
                "jdupont", List.of(MailServers.address("bob")), List.of());
        assertEquals("ACME SARL - Bon de livraison 42 Bcc: eve@example.test", sent.subject(),
                "line breaks in a value become spaces: no header is added");
        assertEquals(Optional.of("BL_42 Bcc_ eve@example.test.pdf"), sent.documentName(),
                "no control character or ':' in the file name");
        awaitDelivered("bob", before + 1);
        MimeMessage m = readBack(sent.messageId());
        MailClassLoader.call(() -> {
            assertEquals(null, m.getHeader("Bcc"));
            List<Part> parts = new ArrayList<>();
            flatten(m, parts);
            for (Part p : parts) {
                if (p.isMimeType("text/html")) {
                    String html = (String) p.getContent();
                    assertFalse(html.contains("<script"), html);
                }
            }
            return null;
        });
        Diffusion.Sent html = diffusion.send(new DocumentContext("BL", Map.of("ID_BL", "<script>alert(1)</script>"),
                List.of()), List.of(new Attachment("a.pdf", "application/pdf", new byte[] { 1 })), "jdupont",
                List.of(MailServers.address("bob")), List.of());
        awaitDelivered("bob", before + 2);
        MimeMessage h = readBack(html.messageId());
        MailClassLoader.call(() -> {
            List<Part> parts = new ArrayList<>();
            flatten(h, parts);
            String body = null;
            for (Part p : parts) {
                if (p.isMimeType("text/html")) {
                    body = (String) p.getContent();
                }
            }
            assertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), body);
            assertFalse(body.contains("<script>"), body);
            return null;
        });
    }

    @Test
    void attachmentNamesArriveWithoutInvisibleCharactersReservedNamesOrHalfCharacters() throws Exception {
        long before = servers.delivered("bob");
        byte[] one = { 1 };
        String pages = "\uD83D\uDCC4".repeat(100); // U+1F4C4, two chars each
        Diffusion.Sent sent = diffusion.send(new DocumentContext("BL", Map.of("ID_BL", "\u202E42\u200B", "CLIENT", "c"),
                List.of()), List.of(new Attachment("erp.pdf", "application/pdf", one),
                        new Attachment("notice\u202Efdp.exe", "application/pdf", one),
                        new Attachment("con.pdf", "application/pdf", one),
                        new Attachment("a" + pages + ".pdf", "application/pdf", one)),
                "jdupont", List.of(MailServers.address("bob")), List.of());
        awaitDelivered("bob", before + 1); // first: the other tests count bob's mails
        assertEquals(Optional.of("BL_42.pdf"), sent.documentName());
        MimeMessage m = readBack(sent.messageId());
        List<String> names = MailClassLoader.call(() -> {
            List<Part> parts = new ArrayList<>();
            flatten(m, parts);
            List<String> out = new ArrayList<>();
            for (Part p : parts) {
                if (p.isMimeType("application/pdf")) {
                    out.add(p.getFileName());
                }
            }
            return out;
        });
        assertEquals(4, names.size(), names.toString());
        assertEquals(List.of("BL_42.pdf", "noticefdp.exe", "_con.pdf"), names.subList(0, 3));
        String cut = names.get(3);
        assertTrue(cut.length() <= 120 && cut.endsWith("\uD83D\uDCC4.pdf"), cut);
        assertTrue(cut.codePoints().noneMatch(c -> Character.getType(c) == Character.SURROGATE), cut);
    }

    @Test
    void everyNamedErrorSaysWhatToDoAndQueuesNothing() {
        int queued = outbox.list(10_000).size();
        List<Attachment> pdf = List.of(new Attachment("a.pdf", "application/pdf", new byte[] { 1 }));
        List<String> to = List.of(MailServers.address("bob"));
        EnvoiException noFlow = assertThrows(EnvoiException.class, () -> diffusion.send(bl("1", "c"), pdf, "orphan",
                to, List.of()));
        assertEquals(ErrorCode.NO_FLOW_FOR_OPERATOR, noFlow.code());
        assertTrue(noFlow.getMessage().contains("orphan"), noFlow.getMessage());
        EnvoiException noSetting = assertThrows(EnvoiException.class, () -> diffusion.send(new DocumentContext(
                "BON DE TRANSPORT", Map.of(), List.of()), pdf, "jdupont", to, List.of()));
        assertEquals(ErrorCode.MAIL_SETTING_NOT_FOUND, noSetting.code());
        assertTrue(noSetting.getMessage().contains("BON DE TRANSPORT"), noSetting.getMessage());
        EnvoiException unknown = assertThrows(EnvoiException.class, () -> diffusion.send(new DocumentContext("BL",
                Map.of("CLIENT", "c"), List.of()), pdf, "jdupont", to, List.of()));
        assertEquals(ErrorCode.UNKNOWN_KEYWORD, unknown.code());
        assertTrue(unknown.getMessage().contains("[ID_BL]"), unknown.getMessage());
        EnvoiException tooBig = assertThrows(EnvoiException.class, () -> diffusion.send(bl("2", "c"), List.of(
                new Attachment("big.pdf", "application/pdf", new byte[3_000_000])), "jdupont", to, List.of()));
        assertEquals(ErrorCode.ATTACHMENTS_TOO_BIG, tooBig.code());
        assertTrue(tooBig.getMessage().contains("2.9 MB") && tooBig.getMessage().contains("1.9 MB"),
                tooBig.getMessage());
        assertEquals(queued, outbox.list(10_000).size(), "nothing was queued");
    }

    @Test
    void testingTheServiceReportsEachStepAndRefusesAnOperatorOutsideTheFlow() {
        FlowTester tester = OsgiServices.get(ctx, FlowTester.class, null);
        FlowTester.Report ok = tester.test(flowId, "jdupont");
        assertTrue(ok.ok(), () -> "steps: " + ok.steps());
        assertEquals(List.of("flow", "membership", "data", "token", "smtp", "imap"), ok.steps().stream().map(
                FlowTester.Step::name).toList());
        assertTrue(ok.steps().get(4).sentence().contains("MAIL FROM accepted"), ok.steps().get(4).sentence());
        FlowTester.Report outside = tester.test(flowId, "orphan");
        assertFalse(outside.ok());
        FlowTester.Step last = outside.steps().get(outside.steps().size() - 1);
        assertEquals("membership", last.name());
        assertTrue(last.sentence().startsWith("OPERATOR_NOT_IN_FLOW"), last.sentence());
    }

    @Test
    void withoutAnAttachmentTheDocumentIsRenderedToPdf() throws Exception {
        long before = servers.delivered("bob");
        Diffusion.Sent sent = diffusion.send(bl("BL-2026-0099", "Martin SA"), List.of(), "jdupont",
                List.of(MailServers.address("bob")), List.of());
        awaitDelivered("bob", before + 1);
        MimeMessage m = readBack(sent.messageId());
        MailClassLoader.call(() -> {
            List<Part> parts = new ArrayList<>();
            flatten(m, parts);
            Part pdf = parts.stream().filter(p -> {
                try {
                    return p.isMimeType("application/pdf");
                } catch (jakarta.mail.MessagingException e) {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new AssertionError("a rendered PDF"));
            assertEquals("BL_BL-2026-0099.pdf", pdf.getFileName());
            try (org.apache.pdfbox.pdmodel.PDDocument d = org.apache.pdfbox.Loader.loadPDF(pdf.getInputStream()
                    .readAllBytes())) {
                String text = new org.apache.pdfbox.text.PDFTextStripper().getText(d);
                assertTrue(text.contains("BL-2026-0099") && text.contains("ACME SARL") && text.contains("Martin SA")
                        && text.contains("Palette de vis inox"), text);
            }
            return null;
        });
    }

    @Test
    void anInvoiceKeepsACopyOfTheSentDocument() throws Exception {
        long before = servers.delivered("bob");
        byte[] pdf = "%PDF-1.7 facture".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Diffusion.Sent sent = diffusion.send(new DocumentContext("FACTURE CLIENT", Map.of("ID_FACTURE", "FA-77"),
                List.of()), List.of(new Attachment("f.pdf", "application/pdf", pdf)), "jdupont",
                List.of(MailServers.address("bob")), List.of());
        assertEquals(Optional.of("Facture_FA-77.pdf"), sent.documentName());
        long copy = sent.keptCopyId().orElseThrow(() -> new AssertionError("FACTURE CLIENT keeps a copy"));
        assertEquals(new String(pdf, java.nio.charset.StandardCharsets.US_ASCII), new String(settings.copy(copy)
                .orElseThrow(), java.nio.charset.StandardCharsets.US_ASCII));
        awaitDelivered("bob", before + 1); // the other tests count bob's mails
    }

    /**
     * Issue 17.8, as `envoi test` and Test the service run it: Microsoft's "SMTP AUTH switched off" line, heard over SMTP
     * from the contract peer, is the administrator's fix and the way out, not a sign-in; the flow's shared mailbox used
     * as the login, refused 5.7.3, says to sign in as the delegate.
     */
    @Test
    void testingAFlowWhoseSmtpAuthIsSwitchedOffNamesTheAdministratorsFix() throws Exception {
        try (MicrosoftSmtpPeer off = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.TENANT_DISABLED);
                MicrosoftSmtpPeer refused = new MicrosoftSmtpPeer(MicrosoftSmtpPeer.UNSUCCESSFUL)) {
            String offFlow = peerFlow(off, "alice");
            FlowTester.Step smtp = smtpStep(offFlow);
            assertFalse(smtp.ok());
            assertTrue(smtp.sentence().startsWith("MAIL_REJECTED"), smtp.sentence());
            assertTrue(smtp.sentence().contains("Set-CASMailbox") && smtp.sentence().contains(
                    "envoi flow set " + offFlow + " --transport graph"), "the way out is one command: "
                            + smtp.sentence());
            assertFalse(smtp.sentence().contains("sign in again"), smtp.sentence());

            FlowTester.Step shared = smtpStep(peerFlow(refused, MailServers.SHARED_MAILBOX));
            assertFalse(shared.ok());
            assertTrue(shared.sentence().startsWith("INVALID_FLOW_DATA"), shared.sentence());
            assertTrue(shared.sentence().contains("delegate") && shared.sentence().contains("send as "
                    + MailServers.SHARED_MAILBOX), shared.sentence());
        }
    }

    /** A generic flow sending as the shared mailbox through {@code peer}, logging in as {@code login}; app-only. */
    private static String peerFlow(MicrosoftSmtpPeer peer, String login) {
        String id = "m365-" + System.nanoTime();
        Flow flow = new Flow(id, "Microsoft 365", FlowType.OAUTH2, "custom", new ProviderFields("", "alice", "",
                List.of("mail"), ConsentHost.PRINT, true), Optional.of(oauth.authorizationEndpoint("mail")),
                Optional.of(oauth.tokenEndpoint("mail")), Optional.empty(), Optional.of(MailServer.of("127.0.0.1",
                        peer.port(), TlsMode.NONE).withTimeout(Duration.ofSeconds(10))), Optional.empty(),
                Optional.empty(), login, Optional.of(MailServers.SHARED_MAILBOX), 2_000_000, Optional.empty());
        admin.save(flow, Optional.of("the-client-secret"));
        OsgiServices.get(ctx, TokenService.class, null).clientCredentials(FlowClients.client(flow, OsgiServices.get(
                ctx, ProviderRegistry.class, null)));
        operators.save(new Operator("op-" + id, "Opérateur", "op@example.test", Optional.empty(), Optional.of(id), "",
                ""));
        return id;
    }

    private static FlowTester.Step smtpStep(String flowId) {
        FlowTester.Report r = OsgiServices.get(ctx, FlowTester.class, null).test(flowId, "op-" + flowId);
        FlowTester.Step last = r.steps().get(r.steps().size() - 1);
        assertEquals("smtp", last.name(), r.steps().toString());
        return last;
    }

    /**
     * Issue 19.2: a fetch is told message by message, and Cancel ends it between two messages: what was read is handed
     * over and marked, and the next fetch brings exactly the rest (nothing twice, nothing lost).
     */
    @Test
    void aFetchStoppedBetweenTwoMessagesKeepsWhatItReadAndTheNextBringsTheRest() throws Exception {
        String user = "poll1000"; // a mailbox no other test of this class reads or fills (the OAuth server knows it)
        String id = "fetch-" + System.nanoTime();
        Flow flow = new Flow(id, "Lecture", FlowType.OAUTH2, "custom", new ProviderFields("", user, "", List.of("mail"),
                ConsentHost.PRINT, true), Optional.of(oauth.authorizationEndpoint("mail")), Optional.of(oauth
                        .tokenEndpoint("mail")), Optional.empty(), Optional.empty(), Optional.of(MailServer.of(
                                "127.0.0.1", servers.imapPort, TlsMode.NONE)), Optional.empty(), user, Optional.of(
                                        MailServers.address(user)), 0, Optional.empty());
        admin.save(flow, Optional.of("the-client-secret"));
        OsgiServices.get(ctx, TokenService.class, null).clientCredentials(FlowClients.client(flow, OsgiServices.get(
                ctx, ProviderRegistry.class, null)));
        operators.save(new Operator("op-" + id, "Lectrice", "op@example.test", Optional.empty(), Optional.of(id), "",
                ""));
        servers.fillMaildir(user, 5, "fc" + System.nanoTime());
        org.envoi.api.diffusion.MailFetcher fetcher = OsgiServices.get(ctx, org.envoi.api.diffusion.MailFetcher.class,
                null);
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<FetchedMail> first = fetcher.fetchNew("op-" + id, "INBOX", org.envoi.api.diffusion.MailFetcher.AfterFetch
                .NOTHING, mails -> {
                }, new org.envoi.api.diffusion.MailFetcher.Progress() {
                    int done;

                    @Override
                    public void fetched(int done, int total) {
                        this.done = done;
                        told.add(done + "/" + total);
                    }

                    @Override
                    public boolean stop() {
                        return done == 2; // Cancel pressed while the second message came
                    }
                });
        assertEquals(List.of("0/5", "1/5", "2/5"), told, "message by message");
        assertEquals(2, first.size(), "stopped after the second message");
        List<FetchedMail> rest = fetcher.fetchNew("op-" + id, "INBOX");
        assertEquals(3, rest.size(), "the next fetch brings the rest");
        java.util.Set<String> all = new java.util.HashSet<>();
        first.forEach(m -> all.add(m.messageId()));
        rest.forEach(m -> all.add(m.messageId()));
        assertEquals(5, all.size(), "nothing twice: " + first + rest);
        assertEquals(List.of(), fetcher.fetchNew("op-" + id, "INBOX"));
    }

    @Test
    void testingAFlowNobodyConsentedToSaysConsentIsRequired() {
        String id = "interactive-" + System.nanoTime();
        admin.save(new Flow(id, "Interactive", FlowType.OAUTH2, "custom", new ProviderFields("", "envoi-desktop", "",
                List.of("openid", "offline_access"), ConsentHost.LOOPBACK, false),
                Optional.of(oauth.authorizationEndpoint("mail")), Optional.of(oauth.tokenEndpoint("mail")),
                Optional.empty(), Optional.of(MailServer.of("127.0.0.1", servers.smtpPort, TlsMode.NONE)),
                Optional.empty(), Optional.empty(), "", Optional.empty(), 0, Optional.empty()), Optional.empty());
        operators.save(new Operator("newbie", "Nouveau", "newbie@example.test", Optional.empty(), Optional.of(id), "",
                ""));
        FlowTester.Report r = OsgiServices.get(ctx, FlowTester.class, null).test(id, "newbie");
        FlowTester.Step last = r.steps().get(r.steps().size() - 1);
        assertEquals("token", last.name(), r.steps().toString());
        assertFalse(last.ok());
        assertTrue(last.sentence().startsWith("CONSENT_REQUIRED"), last.sentence());
    }

    private static void awaitDelivered(String user, long count) throws Exception {
        peers.awaitDelivered(user, count);
    }

    /** Bob reads his INBOX over IMAP with his own token, as Envoi's reader does. */
    private static MimeMessage readBack(String messageId) throws Exception {
        MailLogin bob = new MailLogin.Bearer("bob", oauth.clientCredentialsToken("mail", "bob"),
                MailLogin.Mechanism.XOAUTH2);
        List<FetchedMail> all = ImapReader.fetchNew(MailServer.of("127.0.0.1", servers.imapPort, TlsMode.NONE), bob,
                "INBOX", ImapMark.NONE).result();
        FetchedMail mail = all.stream().filter(f -> f.messageId().equals(messageId)).findFirst().orElseThrow(
                () -> new AssertionError("no mail " + messageId + " in bob's INBOX"));
        return MailClassLoader.call(() -> new MimeMessage(Session.getInstance(new java.util.Properties()),
                new ByteArrayInputStream(mail.raw())));
    }

    private static void flatten(Part p, List<Part> out) throws Exception {
        if (p.isMimeType("multipart/*")) {
            Multipart mp = (Multipart) p.getContent();
            for (int i = 0; i < mp.getCount(); i++) {
                BodyPart b = mp.getBodyPart(i);
                flatten(b, out);
            }
        } else {
            out.add(p);
        }
    }
}
