package org.envoi.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;

import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxStore;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.vault.TokenVault;
import org.envoi.api.vault.VaultKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/** The command line's contract on the real DS services: outputs, JSON, exit codes, one-line errors with their code. */
class CliTest {

    private static Cli cli;
    private static TokenVault vault;
    private static OutboxStore store;

    @TempDir
    Path temp;

    @BeforeAll
    static void services() {
        BundleContext ctx = OsgiServices.context(CliTest.class);
        cli = OsgiServices.get(ctx, Cli.class, null);
        vault = OsgiServices.get(ctx, TokenVault.class, null);
        store = OsgiServices.get(ctx, OutboxStore.class, null);
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

    private static final String GUID = "11111111-2222-3333-4444-555555555555";

    @Test
    void aMicrosoftFlowIsAddedWithItsSecretFromStandardInputAndListedWithoutIt() {
        String id = "cli-m365-" + System.nanoTime();
        Run add = run("s3cr3t-from-stdin\n", "flow", "add", id, "--provider", "microsoft", "--tenant",
                "contoso.onmicrosoft.com", "--client-id", GUID, "--client-secret-stdin");
        assertEquals(0, add.code(), add.err());
        assertEquals(Optional.of("s3cr3t-from-stdin"), vault.read(VaultKey.clientSecret(id)));
        Run list = run("", "flow", "list", "--json");
        assertEquals(0, list.code());
        assertTrue(list.out().contains("\"" + id + "\"") && list.out().contains("smtp.office365.com"), list.out());
        assertFalse(list.out().contains("s3cr3t-from-stdin"), "never a secret in an output");
        Run show = run("", "flow", "show", id);
        assertTrue(show.out().contains("contoso.onmicrosoft.com"), show.out());
    }

    @Test
    void badInputIsOneLineWithItsCodeAndTheRightExitCode() {
        Run noTenant = run("", "flow", "add", "cli-bad", "--provider", "microsoft", "--client-id", GUID);
        assertEquals(4, noTenant.code());
        assertTrue(noTenant.err().startsWith("INVALID_FLOW_DATA: ") && noTenant.err().contains("tenant"),
                noTenant.err());
        assertEquals(1, noTenant.err().strip().lines().count(), "one line");
        Run port = run("", "flow", "add", "cli-port", "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID, "--smtp", "smtp.office365.com:70000");
        assertEquals(4, port.code());
        assertTrue(port.err().startsWith("INVALID_FLOW_DATA: ") && port.err().contains("65535"), port.err());
        Run provider = run("", "flow", "add", "cli-x", "--provider", "yahoo");
        assertEquals(4, provider.code());
        assertTrue(provider.err().startsWith("PROVIDER_NOT_FOUND: ") && provider.err().contains("microsoft"),
                provider.err());
        Run usage = run("", "flow", "add", "cli-y");
        assertEquals(2, usage.code());
        assertTrue(usage.err().startsWith("USAGE: --provider is required"), usage.err());
        assertEquals(2, run("", "frobnicate").code());
        Run noSecret = run("", "flow", "add", "cli-z", "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID, "--client-secret-stdin");
        assertEquals(2, noSecret.code(), "a secret announced on standard input that never came");
        Run noFlow = run("", "test", "--operator", "cli-nobody");
        assertEquals(4, noFlow.code());
        assertTrue(noFlow.err().startsWith("NO_FLOW_FOR_OPERATOR: "), noFlow.err());
        Run help = run("", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("flow add ID --provider"), help.out());
        Run sendHelp = run("", "send", "--help");
        assertEquals(0, sendHelp.code());
        assertTrue(sendHelp.out().contains("send --operator ID --to") && sendHelp.out().contains("--wait-seconds")
                && sendHelp.out().contains("Exit codes"), sendHelp.out());
        assertFalse(sendHelp.out().contains("flow add"), "only the command's own usage: " + sendHelp.out());
        assertTrue(run("", "flow", "--help").out().contains("flow import-google-json ID FILE"));
    }

    @Test
    void outboxRetryLeavesAMailAnotherEnvoiIsSendingToIt() {
        long id = store.enqueue("cli-held-flow", "cli-held-op", new OutgoingMail("held-" + System.nanoTime()
                + "@example.com", "a@example.com", List.of("b@example.com"), List.of(), List.of(), "held", "b", false,
                OutgoingMail.Priority.NORMAL, Optional.empty(), List.of()));
        // this test is the other Envoi: it claims the mail (SENDING, a live claim) as its sender would
        assertTrue(store.claimDue(Instant.now().plusSeconds(1), 50).stream().anyMatch(c -> c.entry().id() == id));
        try {
            Run retry = run("", "outbox", "retry", Long.toString(id), "--wait-seconds", "1");
            assertEquals(0, retry.code(), retry.out() + retry.err());
            assertTrue(retry.err().contains("mail " + id + " is SENDING: left to the Envoi that holds it"),
                    retry.err());
            OutboxEntry e = store.entry(id).orElseThrow();
            assertEquals(OutboxEntry.State.SENDING, e.state(), "not taken");
            assertEquals(0, e.attempts(), "not tried by this command");
        } finally {
            store.markFailed(id, "test over", Instant.now()); // the claim ends with this test
        }
        Run unknown = run("", "outbox", "retry", "987654321");
        assertEquals(4, unknown.code());
        assertTrue(unknown.err().startsWith("INVALID_INPUT: There is no mail 987654321"), unknown.err());
        assertEquals(2, run("", "outbox", "retry", "x1").code());
    }

    @Test
    void aProviderFlowsEndpointsAreHttpsOrLoopbackAndRemovingAFlowRemovesItsSecrets() {
        String id = "cli-ep-" + System.nanoTime();
        for (String option : new String[] { "--token-url", "--auth-url", "--device-url" }) {
            Run evil = run("secret\n", "flow", "add", id, "--provider", "microsoft", "--tenant", "contoso.com",
                    "--client-id", GUID, option, "http://evil.example/x", "--client-secret-stdin");
            assertEquals(4, evil.code(), option + ": " + evil.err());
            assertTrue(evil.err().startsWith("INVALID_FLOW_DATA: ") && evil.err().contains("https"), evil.err());
            assertEquals(Optional.empty(), vault.read(VaultKey.clientSecret(id)), "nothing stored");
        }
        Run loopback = run("secret\n", "flow", "add", id, "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID, "--token-url", "http://[::1]:8443/token", "--client-secret-stdin");
        assertEquals(0, loopback.code(), loopback.err());
        vault.write(VaultKey.tokens(id, "cli-op"), "an operator's sign-in");
        Run remove = run("", "flow", "remove", id);
        assertEquals(0, remove.code(), remove.err());
        assertEquals(java.util.List.of(), vault.keys(id), "the secret and the sign-ins went with the flow");
        assertEquals(4, run("", "flow", "remove", id).code());
    }

    @Test
    void operatorsAreAttachedToFlowsAndFlowsGoOutAndComeBackAsJson() {
        String flow = "cli-flow-" + System.nanoTime();
        assertEquals(0, run("", "flow", "add", flow, "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID).code());
        String op = "cli-op-" + System.nanoTime();
        Run add = run("", "operator", "add", op, "--email", "op@example.com", "--name", "Op", "--flow", flow);
        assertEquals(0, add.code(), add.err());
        Run list = run("", "operator", "list", "--json");
        assertTrue(list.out().contains("\"" + op + "\"") && list.out().contains("\"flow\" : \"" + flow + "\""),
                list.out());
        Run unknownFlow = run("", "operator", "add", "cli-op-x", "--email", "x@example.com", "--flow", "nope");
        assertEquals(4, unknownFlow.code());
        assertTrue(unknownFlow.err().startsWith("INVALID_FLOW_DATA: "), unknownFlow.err());
        Path file = temp.resolve("flows.json");
        assertEquals(0, run("", "flow", "export", file.toString()).code());
        Run imported = run("", "flow", "import", file.toString());
        assertEquals(0, imported.code(), imported.err());
        assertTrue(imported.out().matches("(?s)\\d+ flow\\(s\\) imported.*"), imported.out());
        Run missing = run("", "flow", "import", temp.resolve("nope.json").toString());
        assertEquals(4, missing.code());
        Run outbox = run("", "outbox", "list", "--json");
        assertEquals(0, outbox.code());
        assertTrue(outbox.out().strip().startsWith("["), outbox.out());
    }

    /** Issue 18.6: an operator is shown and removed from the command line; their sign-ins go with them. */
    @Test
    void anOperatorIsShownAndRemovedWithTheirSignIns() {
        String flow = "cli-opflow-" + System.nanoTime();
        assertEquals(0, run("", "flow", "add", flow, "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID).code());
        String op = "cli-opx-" + System.nanoTime();
        assertEquals(0, run("", "operator", "add", op, "--email", "x@example.com", "--name", "X", "--flow", flow)
                .code());
        vault.write(VaultKey.tokens(flow, op), "an operator's sign-in");
        vault.write(VaultKey.tokens(flow, op, "graph"), "the same operator's Graph sign-in");
        vault.write(VaultKey.tokens(flow, "someone-else"), "another operator's sign-in");
        Run show = run("", "operator", "show", op, "--json");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("\"email\" : \"x@example.com\"") && show.out().contains("\"flow\" : \""
                + flow + "\"") && show.out().contains("\"resource\" : \"graph\""), show.out());
        assertFalse(show.out().contains("sign-in\""), "never a token: " + show.out());
        Run remove = run("", "operator", "remove", op);
        assertEquals(0, remove.code(), remove.err());
        assertEquals("operator " + op + " removed", remove.out().strip());
        assertEquals(Optional.empty(), vault.read(VaultKey.tokens(flow, op)), "their sign-in went with them");
        assertEquals(Optional.empty(), vault.read(VaultKey.tokens(flow, op, "graph")), "every resource's");
        assertTrue(vault.read(VaultKey.tokens(flow, "someone-else")).isPresent(), "nobody else's");
        Run again = run("", "operator", "show", op);
        assertEquals(4, again.code());
        assertTrue(again.err().startsWith("INVALID_INPUT: There is no operator '" + op + "'"), again.err());
        run("", "flow", "remove", flow);
    }

    /** A sign-in as the engine stores it, last refreshed (and signed in) at {@code last}. */
    private static String storedSignIn(Instant last, String tokenUri) {
        return "{\"version\":1,\"access\":\"at\",\"refresh\":\"rt\",\"expiresAt\":" + last.plusSeconds(3600)
                .getEpochSecond() + ",\"scopes\":[],\"state\":\"VALID\",\"lastRefresh\":" + last.getEpochSecond()
                + ",\"clientId\":\"" + GUID + "\",\"tokenUri\":\"" + tokenUri + "\"}";
    }

    /**
     * Issue 18.7: envoi status says, a week ahead, which sign-in lapses when and who must act; the limit is the
     * provider's (Microsoft: 90 days unused). A sign-in refreshed yesterday is not listed; --json lists every one.
     */
    @Test
    void statusSaysAWeekAheadWhichSignInLapsesAndWhoMustAct() throws Exception {
        String flow = "cli-lapse-" + System.nanoTime();
        assertEquals(0, run("", "flow", "add", flow, "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID).code());
        String token = "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token";
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant old = now.minus(java.time.Duration.ofDays(85));
        vault.write(VaultKey.tokens(flow, "holiday"), storedSignIn(old, token));
        vault.write(VaultKey.tokens(flow, "daily"), storedSignIn(now.minus(java.time.Duration.ofDays(1)), token));
        try {
            Run status = run("", "status");
            assertEquals(0, status.code(), status.err());
            List<String> mine = status.out().lines().filter(l -> l.startsWith(flow + "\t")).toList();
            assertEquals(1, mine.size(), status.out());
            String line = mine.get(0);
            assertTrue(line.startsWith(flow + "\tholiday\t-\t" + old.plus(java.time.Duration.ofDays(90)) + "\tOPERATOR\t"),
                    line);
            assertTrue(line.contains("operator 'holiday' must sign in again") && line.contains(
                    "envoi authorize --operator holiday"), line);

            Run json = run("", "status", "--json");
            assertEquals(0, json.code(), json.err());
            com.fasterxml.jackson.databind.JsonNode signIns = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json.out()).get("signIns");
            Map<String, com.fasterxml.jackson.databind.JsonNode> byOperator = new java.util.HashMap<>();
            signIns.forEach(n -> {
                if (n.get("flow").asText().equals(flow)) {
                    byOperator.put(n.get("operator").asText(), n);
                }
            });
            assertEquals(java.util.Set.of("holiday", "daily"), byOperator.keySet(), json.out());
            assertTrue(byOperator.get("holiday").get("soon").asBoolean());
            assertEquals("OPERATOR", byOperator.get("holiday").get("who").asText());
            assertEquals(old.plus(java.time.Duration.ofDays(90)).toString(), byOperator.get("holiday").get("lapsesAt")
                    .asText());
            assertFalse(byOperator.get("daily").get("soon").asBoolean());
            assertEquals("NOBODY", byOperator.get("daily").get("who").asText());
        } finally {
            run("", "flow", "remove", flow);
        }
    }

    /** Issue 18.7: a Google flow says with a field of its provider whether its app is in "Testing". */
    @Test
    void aGoogleFlowSaysWhetherItsAppIsInTesting() {
        String flow = "cli-gtest-" + System.nanoTime();
        String client = "1234567890-abc123def456.apps.googleusercontent.com";
        try {
            Run add = run("", "flow", "add", flow, "--provider", "google", "--client-id", client, "--set",
                    "google.publishingStatus=testing");
            assertEquals(0, add.code(), add.err());
            assertTrue(run("", "flow", "show", flow).out().contains("\"google.publishingStatus\" : \"testing\""));
            Run bad = run("", "flow", "set", flow, "--set", "google.publishingStatus=beta");
            assertEquals(4, bad.code(), bad.out());
            assertTrue(bad.err().startsWith("INVALID_FLOW_DATA: ") && bad.err().contains("google.publishingStatus")
                    && bad.err().contains("production, testing"), bad.err());
        } finally {
            run("", "flow", "remove", flow);
        }
    }

    /**
     * Issue 18.6: groups from the command line; an operator of a group uses its flow; a group that still has operators
     * is not removed (they would lose their flow without a word).
     */
    @Test
    void groupsAreAddedListedAndRemovedOnlyWhenEmpty() {
        String flow = "cli-gflow-" + System.nanoTime();
        assertEquals(0, run("", "flow", "add", flow, "--provider", "microsoft", "--tenant", "contoso.com",
                "--client-id", GUID).code());
        String group = "cli-g-" + System.nanoTime();
        Run noFlow = run("", "group", "add", group, "--flow", "nope");
        assertEquals(4, noFlow.code());
        assertTrue(noFlow.err().startsWith("INVALID_FLOW_DATA: There is no flow 'nope'"), noFlow.err());
        Run add = run("", "group", "add", group, "--name", "Comptabilité", "--flow", flow);
        assertEquals(0, add.code(), add.err());
        assertEquals("group " + group + " saved", add.out().strip());
        String op = "cli-gop-" + System.nanoTime();
        assertEquals(0, run("", "operator", "add", op, "--email", "g@example.com", "--group", group).code());
        Run show = run("", "operator", "show", op, "--json");
        assertTrue(show.out().contains("\"flow\" : \"" + flow + "\""), "the group's flow: " + show.out());
        Run list = run("", "group", "list", "--json");
        assertTrue(list.out().contains("\"id\" : \"" + group + "\"") && list.out().contains("\"members\" : 1"),
                list.out());
        Run busy = run("", "group", "remove", group);
        assertEquals(4, busy.code());
        assertTrue(busy.err().startsWith("INVALID_INPUT: The group '" + group + "' still has 1 operator(s): " + op),
                busy.err());
        assertTrue(run("", "group", "list").out().contains(group), "still there");
        assertEquals(0, run("", "operator", "remove", op).code());
        Run removed = run("", "group", "remove", group);
        assertEquals(0, removed.code(), removed.err());
        assertFalse(run("", "group", "list").out().contains(group));
        assertEquals(4, run("", "group", "remove", group).code(), "a group that is not there");
        run("", "flow", "remove", flow);
    }

    /** Issue 18.6: help for a command that does not exist is a usage error, not the global help with exit 0. */
    @Test
    void helpForAnUnknownCommandIsAUsageErrorAndForAKnownOneItsUsage() {
        for (String[] args : new String[][] { { "daemon", "--help" }, { "help", "daemon" }, { "--help", "daemon" } }) {
            Run r = run("", args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            assertTrue(r.err().startsWith("USAGE: unknown command 'daemon'"), r.err());
            assertEquals("", r.out(), "no help printed as if it were one");
        }
        Run flow = run("", "flow", "--help");
        assertEquals(0, flow.code(), flow.err());
        assertTrue(flow.out().contains("flow add ID") && !flow.out().contains("fetch --operator"), flow.out());
        assertEquals(2, run("").code(), "no command at all: the help and exit 2");
    }

    /**
     * A transport and a file store from a bundle installed later (here: registered by this test) are chosen by id,
     * their described settings taken by name or {@code --set}, and a typo, an uninstalled transport or store, or a
     * setting nobody describes is one INVALID_FLOW_DATA line naming the field, with nothing saved.
     */
    @Test
    void aFlowNamesAnInstalledTransportAndFileStoreAndTheirSettingsAndNothingElse() throws Exception {
        BundleContext ctx = OsgiServices.context(CliTest.class);
        var t = ctx.registerService(MailTransport.class, new LaterTransport(), new java.util.Hashtable<>(Map.of(
                MailTransport.TRANSPORT_ID, "later")));
        var s = ctx.registerService(FileStore.class, new LaterStore(), new java.util.Hashtable<>(Map.of(
                FileStore.STORE_ID, "later-files")));
        FlowRepository flows = OsgiServices.get(ctx, FlowRepository.class, null);
        String id = "cli-tr-" + System.nanoTime();
        try {
            Run none = run("", "flow", "add", id, "--provider", "microsoft", "--tenant", "contoso.com",
                    "--client-id", GUID, "--transport", "pigeon");
            assertEquals(4, none.code(), none.err());
            assertTrue(none.err().startsWith("INVALID_FLOW_DATA: No transport 'pigeon' is installed; installed: ")
                    && none.err().contains("later"), none.err());
            assertTrue(flows.flow(id).isEmpty(), "nothing saved");
            Run typo = run("", "flow", "add", id, "--provider", "microsoft", "--tenant", "contoso.com",
                    "--client-id", GUID, "--transport", "later", "--set", "later.urll=https://x.example/");
            assertEquals(4, typo.code(), typo.err());
            assertTrue(typo.err().startsWith("INVALID_FLOW_DATA: 'later.urll' is not a setting of transport"
                    + " 'later'; known: files.copies, files.large, later.url"), typo.err());
            Run noStore = run("", "flow", "add", id, "--provider", "microsoft", "--tenant", "contoso.com",
                    "--client-id", GUID, "--transport", "later", "--large-files", "dropbox");
            assertTrue(noStore.code() == 4 && noStore.err().startsWith("INVALID_FLOW_DATA: No file store 'dropbox'"
                    + " is installed; installed: later-files"), noStore.err());
            Run add = run("", "flow", "add", id, "--provider", "custom", "--auth-url",
                    "https://login.example/auth", "--token-url", "https://login.example/token", "--scopes",
                    "later:send offline_access", "--client-id", "later-app", "--transport", "later", "--set", "later.url=https://relay.example/",
                    "--large-files", "later-files", "--files-folder", "Invoices/2026");
            assertEquals(0, add.code(), add.err());
            Flow f = flows.flow(id).orElseThrow();
            assertEquals("later", f.transport());
            assertEquals(Map.of("later.url", "https://relay.example/", FileStore.LARGE_FILES, "later-files",
                    "files.folder", "Invoices/2026"), f.settings());
            assertTrue(f.smtp().isEmpty() && f.imap().isEmpty(), "another transport needs no SMTP server");
            assertTrue(run("", "flow", "show", id).out().contains("\"later\""), "flow show prints the transport");
            Run noServer = run("", "flow", "set", id, "--transport", "smtp", "--large-files", "none");
            assertEquals(4, noServer.code(), noServer.err());
            assertTrue(noServer.err().startsWith("INVALID_FLOW_DATA: ") && noServer.err().contains("smtp"),
                    "a custom flow back on SMTP needs its server: " + noServer.err());
            assertEquals("later", flows.flow(id).orElseThrow().transport(), "nothing saved");
            Run back = run("", "flow", "set", id, "--transport", "smtp", "--large-files", "none", "--smtp",
                    "smtp.example.com:587");
            assertEquals(0, back.code(), back.err());
            Flow smtp = flows.flow(id).orElseThrow();
            assertEquals(MailTransport.SMTP, smtp.transport());
            assertEquals(Map.of("files.folder", "Invoices/2026"), smtp.settings(), "later.url went with its"
                    + " transport, the store choice with --large-files none");
            assertEquals("smtp.example.com", smtp.smtp().orElseThrow().endpoint().host());
        } finally {
            run("", "flow", "remove", id);
            t.unregister();
            s.unregister();
        }
    }

    /** What a transport bundle installed from the update site registers; only its description is used here. */
    private static final class LaterTransport implements MailTransport {
        @Override
        public String id() {
            return "later";
        }

        @Override
        public String displayName() {
            return "Later";
        }

        @Override
        public List<FieldDescription> fields() {
            return List.of(new FieldDescription("later.url", "Later endpoint", FieldDescription.Kind.URL,
                    "https://later.example/", List.of(), "where Later listens"));
        }

        @Override
        public List<FieldProblem> validate(Flow flow) {
            return List.of();
        }

        @Override
        public List<String> scopes(String providerId, List<String> providerScopes, boolean appOnly) {
            return List.of("later:send");
        }

        @Override
        public Connection connect(MailRoute route) {
            throw new UnsupportedOperationException("this test sends nothing");
        }
    }

    private static final class LaterStore implements FileStore {
        @Override
        public String id() {
            return "later-files";
        }

        @Override
        public String displayName() {
            return "Later files";
        }

        @Override
        public List<FieldDescription> fields() {
            return List.of(new FieldDescription("files.folder", "Folder", FieldDescription.Kind.TEXT, "Envoi",
                    List.of(), "where documents go"));
        }

        @Override
        public List<FieldProblem> validate(Flow flow) {
            return List.of();
        }

        @Override
        public String resource() {
            return "later";
        }

        @Override
        public List<String> scopes(Flow flow) {
            return List.of();
        }

        @Override
        public StoredFile store(Target target, java.io.InputStream content, long size) {
            throw new UnsupportedOperationException("this test stores nothing");
        }

        @Override
        public java.net.URI link(Target target, StoredFile file, LinkScope scope,
                Optional<java.time.Instant> expiry) {
            throw new UnsupportedOperationException("this test links nothing");
        }
    }

    /** Issue 18.2: the relay's local logins, password from standard input only, listed without it. */
    @Test
    void relayUsersAreAddedFromStandardInputListedAndRemoved() {
        String id = "relay-op-" + System.nanoTime();
        assertEquals(0, run("", "operator", "add", id, "--email", id + "@example.test").code());
        Run noStdin = run("", "relay-user", "add", id);
        assertEquals(2, noStdin.code());
        assertTrue(noStdin.err().startsWith("USAGE: relay-user add reads the password from standard input"),
                noStdin.err());
        Run tooShort = run("short\n", "relay-user", "add", id, "--password-stdin");
        assertEquals(4, tooShort.code());
        assertTrue(tooShort.err().startsWith("INVALID_INPUT: ") && tooShort.err().contains("12"), tooShort.err());
        Run nobody = run("a-long-enough-password\n", "relay-user", "add", "nobody-" + id, "--password-stdin");
        assertEquals(4, nobody.code());
        Run add = run("a-long-enough-password\n", "relay-user", "add", id, "--password-stdin");
        assertEquals(0, add.code(), add.err());
        Run list = run("", "relay-user", "list", "--json");
        assertTrue(list.out().contains("\"" + id + "\""), list.out());
        assertFalse(list.out().contains("a-long-enough-password") || add.out().contains("a-long-enough-password"));
        assertEquals(0, run("", "relay-user", "remove", id).code());
        Run again = run("", "relay-user", "remove", id);
        assertEquals(4, again.code());
        assertTrue(again.err().startsWith("INVALID_INPUT: "), again.err());
    }

    /** Issue 18.1: with no server on the data folder, {@code serve --status} says so and exits 3. */
    @Test
    void serveStatusWithoutAServerSaysSoAndExits3() {
        Run status = run("", "serve", "--status");
        assertEquals(3, status.code(), status.err());
        assertTrue(status.out().startsWith("No envoi serve runs on "), status.out());
        assertTrue(status.out().contains("Outbox: "), status.out());
        Run json = run("", "serve", "--status", "--json");
        assertEquals(3, json.code());
        assertTrue(json.out().contains("\"running\" : false"), json.out());
        Run bad = run("", "serve", "--smtp", "127.0.0.1");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("USAGE: --smtp wants HOST:PORT"), bad.err());
    }
}
