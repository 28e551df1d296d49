package org.envoi.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.OutgoingMail.Priority;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * Issue 18.6, administration without a screen: {@code flow set} edits every field of a stored flow (the secret from
 * standard input) and a refused edit changes nothing; {@code company set} and {@code setting list|show|set} edit what
 * the desktop's screens edit, validated like them. On the real DS services, store and vault.
 */
class AdminCommandsTest {

    private static final String GUID = "11111111-2222-3333-4444-555555555555";
    /** A 1x1 PNG. */
    private static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    private static Cli cli;
    private static TokenVault vault;
    private static TokenService tokens;
    private static FlowRepository flows;
    private static FlowAdmin admin;
    private static SettingsRepository settings;

    @TempDir
    Path temp;

    @BeforeAll
    static void services() {
        BundleContext ctx = OsgiServices.context(AdminCommandsTest.class);
        cli = OsgiServices.get(ctx, Cli.class, null);
        vault = OsgiServices.get(ctx, TokenVault.class, null);
        tokens = OsgiServices.get(ctx, TokenService.class, null);
        flows = OsgiServices.get(ctx, FlowRepository.class, null);
        admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        settings = OsgiServices.get(ctx, SettingsRepository.class, null);
    }

    record Run(int code, String out, String err) {
    }

    private static Run run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8), new BufferedReader(new StringReader(stdin)));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String microsoftFlow(String prefix) {
        String id = prefix + System.nanoTime();
        Run add = run("first-secret\n", "flow", "add", id, "--provider", "microsoft", "--tenant",
                "contoso.onmicrosoft.com", "--client-id", GUID, "--client-secret-stdin");
        assertEquals(0, add.code(), add.err());
        return id;
    }

    /** A sign-in as an earlier Envoi stored it (no binding yet), valid for an hour. */
    private static void signedIn(String flowId, String operator) {
        long in1h = java.time.Instant.now().getEpochSecond() + 3600;
        vault.write(VaultKey.tokens(flowId, operator), "{\"version\":1,\"access\":\"at-" + operator
                + "\",\"refresh\":\"rt-" + operator + "\",\"expiresAt\":" + in1h + ",\"scopes\":[],\"state\":"
                + "\"VALID\",\"lastRefresh\":0}");
    }

    @Test
    void flowSetEditsEveryFieldInPlaceWithTheSecretFromStandardInput() {
        String id = microsoftFlow("cli-set-");
        try {
            Run set = run("", "flow", "set", id, "--name", "Contoso billing", "--tenant", "fabrikam.onmicrosoft.com",
                    "--consent", "print", "--attachment-limit-mb", "10", "--generic", "factures@contoso.com",
                    "--username", "factures@contoso.com", "--imap", "imap.contoso.com:143", "--imap-security",
                    "starttls", "--pop", "pop.contoso.com:995", "--smtp-security", "tls", "--secret-expiry",
                    "2027-06-30", "--scopes", "https://outlook.office.com/SMTP.Send offline_access");
            assertEquals(0, set.code(), set.err());
            assertTrue(set.out().startsWith("flow " + id + " saved"), set.out());
            Flow f = flows.flow(id).orElseThrow();
            assertEquals("Contoso billing", f.name());
            assertEquals("fabrikam.onmicrosoft.com", f.oauth().tenant());
            assertEquals(GUID, f.oauth().clientId(), "what was not given stays");
            assertEquals(ConsentHost.PRINT, f.oauth().consentHost());
            assertEquals(10L * 1024 * 1024, f.attachmentLimitBytes());
            assertEquals(Optional.of("factures@contoso.com"), f.genericAddress());
            assertEquals("factures@contoso.com", f.username());
            assertEquals("imap.contoso.com", f.imap().orElseThrow().endpoint().host());
            assertEquals(TlsMode.STARTTLS, f.imap().orElseThrow().endpoint().tls());
            assertEquals(995, f.pop().orElseThrow().endpoint().port());
            assertEquals("smtp.office365.com", f.smtp().orElseThrow().endpoint().host(), "the server stays");
            assertEquals(TlsMode.TLS, f.smtp().orElseThrow().endpoint().tls(), "its security changed alone");
            assertEquals(Optional.of(LocalDate.of(2027, 6, 30)), f.secretExpiry());
            assertEquals(List.of("https://outlook.office.com/SMTP.Send", "offline_access"), f.oauth().scopes());
            assertEquals(Optional.of("first-secret"), vault.read(VaultKey.clientSecret(id)), "no secret given: kept");

            // an empty value takes an optional field away
            Run cleared = run("", "flow", "set", id, "--generic", "", "--pop", "", "--secret-expiry", "");
            assertEquals(0, cleared.code(), cleared.err());
            Flow c = flows.flow(id).orElseThrow();
            assertEquals(Optional.empty(), c.genericAddress());
            assertEquals(Optional.empty(), c.pop());
            assertEquals(Optional.empty(), c.secretExpiry());
            assertTrue(c.imap().isPresent(), "the others stay");

            Run secret = run("second-secret\n", "flow", "set", id, "--client-secret-stdin");
            assertEquals(0, secret.code(), secret.err());
            assertEquals(Optional.of("second-secret"), vault.read(VaultKey.clientSecret(id)));
            assertFalse((secret.out() + secret.err()).contains("second-secret"), "never a secret in an output");
        } finally {
            run("", "flow", "remove", id);
        }
    }

    @Test
    void aPasswordFlowGetsItsNewLoginAndPasswordFromStandardInput() {
        String id = "cli-basic-" + System.nanoTime();
        VaultKey password = new VaultKey(VaultKey.PASSWORD, id, VaultKey.SHARED);
        try {
            assertEquals(0, run("first-password\n", "flow", "add", id, "--provider", "custom", "--type", "basic",
                    "--username", "old@example.com", "--smtp", "127.0.0.1:2525", "--smtp-security", "none",
                    "--password-stdin").code());
            Run set = run("second-password\n", "flow", "set", id, "--username", "new@example.com", "--smtp",
                    "127.0.0.1:2587", "--password-stdin");
            assertEquals(0, set.code(), set.err());
            Flow f = flows.flow(id).orElseThrow();
            assertEquals("new@example.com", f.username());
            assertEquals(2587, f.smtp().orElseThrow().endpoint().port());
            assertEquals(TlsMode.NONE, f.smtp().orElseThrow().endpoint().tls(), "the server's security stays");
            assertEquals(Optional.of("second-password"), vault.read(password));
            Run noUser = run("third-password\n", "flow", "set", id, "--username", "", "--password-stdin");
            assertEquals(4, noUser.code(), noUser.err());
            assertTrue(noUser.err().startsWith("INVALID_FLOW_DATA: ") && noUser.err().contains("username"),
                    noUser.err());
            assertEquals(Optional.of("second-password"), vault.read(password), "a refused edit keeps the password");
        } finally {
            run("", "flow", "remove", id);
        }
    }

    @Test
    void aRefusedFlowSetChangesNeitherTheFlowNorTheVault() {
        String id = microsoftFlow("cli-keep-");
        try {
            signedIn(id, "op1");
            Flow before = flows.flow(id).orElseThrow();
            List<Optional<String>> vaultBefore = vaultOf(id, "op1");
            String[][] refused = { { "--token-url", "http://evil.example/token", "--client-secret-stdin" },
                    { "--tenant", "", "--client-secret-stdin" }, { "--smtp", "smtp.office365.com:70000" },
                    { "--smtp-security", "none" }, { "--attachment-limit-mb", "ten" },
                    { "--secret-expiry", "2027-13-01" }, { "--auth-url", "not a url" },
                    { "--client-id", "not-a-guid", "--client-secret-stdin" }, { "--imap-security", "tls",
                            "--generic", "not-an-address" } };
            for (String[] options : refused) {
                List<String> args = new ArrayList<>(List.of("flow", "set", id));
                args.addAll(List.of(options));
                Run r = run("new-secret\n", args.toArray(String[]::new));
                assertEquals(4, r.code(), args + ": " + r.err());
                assertTrue(r.err().startsWith("INVALID_FLOW_DATA: "), r.err());
                assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
                assertEquals(before, flows.flow(id).orElseThrow(), args + ": the stored flow is untouched");
                assertEquals(vaultBefore, vaultOf(id, "op1"), args + ": the vault is untouched");
            }
            // the same sentence as flow add gives for the same value
            Run set = run("", "flow", "set", id, "--token-url", "http://evil.example/token");
            Run add = run("", "flow", "add", id + "-b", "--provider", "microsoft", "--tenant",
                    "contoso.onmicrosoft.com", "--client-id", GUID, "--token-url", "http://evil.example/token");
            assertEquals(add.err().replace(id + "-b", id), set.err());
            String[][] usage = { { "--frobnicate", "1" }, { "--consent", "telepathy" }, { "--provider", "google" },
                    { "--type", "basic" }, { "--client-secret-stdin" } };
            for (String[] options : usage) {
                List<String> args = new ArrayList<>(List.of("flow", "set", id));
                args.addAll(List.of(options));
                Run r = run("", args.toArray(String[]::new)); // no secret on standard input either
                assertEquals(2, r.code(), args + ": " + r.err());
                assertTrue(r.err().startsWith("USAGE: "), r.err());
                assertEquals(before, flows.flow(id).orElseThrow(), args + ": the stored flow is untouched");
                assertEquals(vaultBefore, vaultOf(id, "op1"), args + ": the vault is untouched");
            }
            Run unknown = run("", "flow", "set", "cli-no-such-flow", "--tenant", "x");
            assertEquals(4, unknown.code());
            assertTrue(unknown.err().startsWith("INVALID_FLOW_DATA: There is no flow 'cli-no-such-flow'"),
                    unknown.err());
        } finally {
            run("", "flow", "remove", id);
        }
    }

    private static List<Optional<String>> vaultOf(String flow, String operator) {
        return List.of(vault.read(VaultKey.clientSecret(flow)), vault.read(VaultKey.clientBinding(flow)), vault.read(
                VaultKey.tokens(flow, operator)));
    }

    /** README, "Bound to their endpoint": through FlowAdmin, as the desktop's editor does it. */
    @Test
    void anotherClientIdOrTokenEndpointAsksForTheSecretAndTheSignInsAgain() {
        String id = microsoftFlow("cli-bound-");
        try {
            signedIn(id, "op1");
            assertEquals(0, run("", "flow", "set", id, "--attachment-limit-mb", "5").code());
            assertEquals(CredentialStatus.State.VALID, tokens.status(id, "op1").state(), "the client did not change");
            assertTrue(admin.hasSecret(flows.flow(id).orElseThrow()));

            Run moved = run("", "flow", "set", id, "--client-id", "99999999-2222-3333-4444-555555555555");
            assertEquals(0, moved.code(), moved.err());
            CredentialStatus s = tokens.status(id, "op1");
            assertEquals(CredentialStatus.State.CONSENT_REQUIRED, s.state());
            assertTrue(s.reason().orElseThrow().contains("client ID changed"), s.reason().orElseThrow());
            assertFalse(admin.hasSecret(flows.flow(id).orElseThrow()), "the secret must be entered again");

            Run again = run("third-secret\n", "flow", "set", id, "--client-secret-stdin");
            assertEquals(0, again.code(), again.err());
            assertTrue(admin.hasSecret(flows.flow(id).orElseThrow()), "entered again");

            signedIn(id, "op2");
            Run token = run("", "flow", "set", id, "--token-url", "https://login.example.com/other/token");
            assertEquals(0, token.code(), token.err());
            CredentialStatus s2 = tokens.status(id, "op2");
            assertEquals(CredentialStatus.State.CONSENT_REQUIRED, s2.state());
            assertTrue(s2.reason().orElseThrow().contains("token endpoint changed"), s2.reason().orElseThrow());
            assertFalse(admin.hasSecret(flows.flow(id).orElseThrow()));
        } finally {
            run("", "flow", "remove", id);
        }
    }

    @Test
    void theCompanyIsSetFromFilesAndABadFileIsNamedAndChangesNothing() throws Exception {
        Company original = settings.company();
        try {
            Path footer = Files.writeString(temp.resolve("footer.txt"), "Dupuis SA — 1 rue du Port, Nantes\n",
                    StandardCharsets.UTF_8);
            Path logo = Files.write(temp.resolve("logo.img"), PNG);
            Run set = run("", "company", "set", "--name", "Dupuis SA", "--footer-file", footer.toString(),
                    "--logo", logo.toString());
            assertEquals(0, set.code(), set.err());
            Company c = settings.company();
            assertEquals("Dupuis SA", c.name());
            assertEquals("Dupuis SA — 1 rue du Port, Nantes\n", c.footer());
            assertArrayEquals(PNG, c.logo().orElseThrow());
            assertEquals("image/png", c.logoMimeType(), "from the content, whatever the file is called");
            Run show = run("", "company", "show", "--json");
            assertEquals(0, show.code(), show.err());
            assertTrue(show.out().contains("\"name\" : \"Dupuis SA\"") && show.out().contains("image/png"),
                    show.out());

            Path text = Files.writeString(temp.resolve("logo.png"), "not a picture");
            Path fake = Files.write(temp.resolve("fake.png"), java.util.Arrays.copyOf(PNG, 20)); // a PNG cut short
            for (Path bad : List.of(text, fake)) {
                Run r = run("", "company", "set", "--name", "Other", "--logo", bad.toString());
                assertEquals(4, r.code(), r.err());
                assertTrue(r.err().startsWith("INVALID_INPUT: --logo " + bad) && r.err().contains("image"),
                        r.err());
                assertEquals("Dupuis SA", settings.company().name(), "nothing saved, not even the name");
            }
            Run missing = run("", "company", "set", "--name", "Other", "--footer-file", temp.resolve("nope.txt")
                    .toString());
            assertEquals(4, missing.code());
            assertTrue(missing.err().startsWith("INVALID_INPUT: --footer-file "), missing.err());
            Path latin1 = Files.write(temp.resolve("latin1.txt"), new byte[] { 'c', 'a', 'f', (byte) 0xe9 });
            Run notUtf8 = run("", "company", "set", "--footer-file", latin1.toString());
            assertEquals(4, notUtf8.code());
            assertTrue(notUtf8.err().startsWith("INVALID_INPUT: --footer-file ") && notUtf8.err().contains("UTF-8"),
                    notUtf8.err());
            assertEquals("Dupuis SA", settings.company().name());
            assertEquals(2, run("", "company", "set").code(), "nothing to set");
            assertEquals(2, run("", "company", "set", "--colour", "red").code());

            Run noLogo = run("", "company", "set", "--logo", "");
            assertEquals(0, noLogo.code(), noLogo.err());
            assertEquals(Optional.empty(), settings.company().logo(), "an empty --logo takes it away");
            assertEquals("Dupuis SA", settings.company().name(), "the rest stays");
        } finally {
            settings.save(original);
        }
    }

    @Test
    void mailSettingsAreListedShownAndSetValidatedLikeTheScreen() throws Exception {
        MailSetting original = settings.mailSetting("BL").orElseThrow();
        Company company = settings.company();
        try {
            settings.save(new Company("", company.footer(), company.logo(), company.logoMimeType()));
            Run list = run("", "setting", "list", "--json");
            assertEquals(0, list.code(), list.err());
            assertTrue(list.out().contains("\"code\" : \"BL\"") && list.out().contains("\"code\" : \"FACTURE CLIENT\""),
                    list.out());
            assertTrue(run("", "setting", "list").out().lines().anyMatch(l -> l.startsWith("BL\t")));
            Run show = run("", "setting", "show", "BL", "--json");
            assertEquals(0, show.code(), show.err());
            assertTrue(show.out().contains("\"subject\" : \"" + original.subject() + "\""), show.out());
            Run none = run("", "setting", "show", "NOPE");
            assertEquals(4, none.code());
            assertTrue(none.err().startsWith("MAIL_SETTING_NOT_FOUND: "), none.err());

            Path body = Files.writeString(temp.resolve("body.html"), "<p>Bonjour [CLIENT],</p><p>[ID_BL]</p>",
                    StandardCharsets.UTF_8);
            Run set = run("", "setting", "set", "BL", "--subject", "Livraison [ID_BL] - [SOCIETE]", "--body-file",
                    body.toString(), "--html", "--file-name", "BL-[ID_BL].pdf", "--priority", "high",
                    "--read-receipt", "--copy-to-sender", "--keep-copy");
            assertEquals(0, set.code(), set.err());
            MailSetting s = settings.mailSetting("BL").orElseThrow();
            assertEquals("Livraison [ID_BL] - [SOCIETE]", s.subject(), "[SOCIETE] is known, company name or not");
            assertEquals("<p>Bonjour [CLIENT],</p><p>[ID_BL]</p>", s.body());
            assertTrue(s.html() && s.readReceipt() && s.copyToSender() && s.keepCopy());
            assertEquals("BL-[ID_BL].pdf", s.fileNamePattern());
            assertEquals(Priority.HIGH, s.priority());

            Run off = run("", "setting", "set", "BL", "--no-read-receipt", "--no-html");
            assertEquals(0, off.code(), off.err());
            MailSetting o = settings.mailSetting("BL").orElseThrow();
            assertFalse(o.readReceipt() || o.html(), "turned off");
            assertTrue(o.copyToSender() && o.keepCopy(), "the others stay");
            assertEquals(Priority.HIGH, o.priority());

            Path badBody = Files.writeString(temp.resolve("bad.txt"), "Bonjour [CLEINT]", StandardCharsets.UTF_8);
            String[][] refused = { { "--subject", "Livraison [NUMERO]" }, { "--body-file", badBody.toString() },
                    { "--file-name", "[ID_LIVRAISON].pdf" }, { "--priority", "urgent" },
                    { "--body-file", temp.resolve("nope.txt").toString() } };
            String[] named = { "--subject", "--body-file", "--file-name", "--priority", "--body-file" };
            for (int i = 0; i < refused.length; i++) {
                List<String> args = new ArrayList<>(List.of("setting", "set", "BL", "--keep-copy"));
                args.addAll(List.of(refused[i]));
                Run r = run("", args.toArray(String[]::new));
                assertEquals(4, r.code(), args + ": " + r.err());
                assertTrue(r.err().startsWith("INVALID_INPUT: " + named[i]), r.err());
                assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
                assertEquals(o, settings.mailSetting("BL").orElseThrow(), args + ": nothing saved");
            }
            assertTrue(run("", "setting", "set", "BL", "--subject", "[NUMERO]").err().contains("[NUMERO]"),
                    "the keyword is named");
            assertEquals(2, run("", "setting", "set", "BL", "--read-receipt", "--no-read-receipt").code());
            assertEquals(2, run("", "setting", "set", "BL", "--bcc", "x@example.com").code());
            Run unknown = run("", "setting", "set", "NOPE", "--priority", "low");
            assertEquals(4, unknown.code());
            assertTrue(unknown.err().startsWith("MAIL_SETTING_NOT_FOUND: "), unknown.err());
        } finally {
            settings.save(original);
            settings.save(company);
        }
    }

    @Test
    void theNewCommandsHaveTheirHelp() {
        for (String command : List.of("company", "setting")) {
            Run help = run("", command, "--help");
            assertEquals(0, help.code(), help.err());
            assertTrue(help.out().contains(command + " set"), help.out());
            assertFalse(help.out().contains("fetch --operator"), "only the command's own usage: " + help.out());
        }
        assertTrue(run("", "--help").out().contains("setting set CODE"));
        assertTrue(run("", "flow", "--help").out().contains("--client-secret-stdin"));
    }
}
