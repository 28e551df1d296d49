package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.envoi.api.tests.servers.BrowserUser;
import org.envoi.api.tests.servers.CuttingProxy;
import org.envoi.api.tests.servers.KeycloakDeviceUser;
import org.envoi.api.tests.servers.KeycloakServer;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end through the materialized product's {@code envoi} script, against Postfix and Dovecot
 * validating bearer tokens at mock-oauth2-server (and Keycloak for the device code): every step a script would
 * take, with its exit code and its one-line coded error.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliProductTest {

    @TempDir
    static Path temp;

    private static MailPeers peers;
    private static Path data;
    private static final String KEY = vaultKey();
    private static final String FLOW = "e2e";
    private static final String OPERATOR = "bob";

    @BeforeAll
    static void start() {
        peers = MailPeers.start(temp);
        data = temp.resolve("data");
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    record Run(int code, String out, String err) {
    }

    /** Starts {@code envoi --data DIR args...}; the caller talks to it and waits. */
    static Process start(String... args) throws IOException {
        return start(java.util.Map.of(), args);
    }

    /** As {@link #start(String...)} with more environment, e.g. {@code ENVOI_VMARGS}. */
    static Process start(java.util.Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(BuiltProduct.linuxProduct().resolve("envoi").toString(),
                "--data", data.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("ENVOI_VAULT_KEY", KEY);
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY"); // a server: no window may be needed
        pb.environment().putAll(env);
        return pb.start();
    }

    static Run run(String stdin, String... args) throws Exception {
        Process p = start(args);
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return finish(p, BuiltProduct.lines(p.getErrorStream()), new ArrayList<>());
    }

    /** Waits for the command; {@code err} is the reader of its standard error already in use, if any. */
    static Run finish(Process p, BufferedReader err, List<String> errSoFar) throws Exception {
        List<String> lines = Collections.synchronizedList(errSoFar);
        Thread errReader = BuiltProduct.drain(err, lines, "envoi-cli-err");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the command did not end");
        errReader.join(5_000);
        return new Run(p.exitValue(), out, String.join("\n", lines));
    }

    @Test
    @Order(1)
    void aFlowAndAnOperatorAreAddedFromTheScript() throws Exception {
        Run add = run("", "flow", "add", FLOW, "--provider", "custom", "--client-id", "envoi-e2e", "--auth-url",
                peers.oauth.authorizationEndpoint("mail").toString(), "--token-url", peers.oauth.tokenEndpoint("mail")
                        .toString(), "--scopes", "openid mail offline_access", "--smtp", "127.0.0.1:"
                                + peers.servers.smtpPort,
                "--smtp-security", "none", "--imap", "127.0.0.1:" + peers.servers.imapPort, "--imap-security", "none",
                "--consent", "print", "--username", OPERATOR);
        assertEquals(0, add.code(), add.err());
        assertEquals("flow " + FLOW + " saved", add.out().strip(), "nothing but the answer on standard output");
        Run op = run("", "operator", "add", OPERATOR, "--email", MailServers.address(OPERATOR), "--flow", FLOW);
        assertEquals(0, op.code(), op.err());
        Run list = run("", "operator", "list", "--json");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().strip().startsWith("[") && list.out().contains("\"flow\" : \"" + FLOW + "\""),
                list.out());
    }

    @Test
    @Order(2)
    void beforeConsentTheTestSaysConsentRequiredWithExitCode3() throws Exception {
        Run test = run("", "test", "--operator", OPERATOR);
        assertEquals(3, test.code(), test.out() + test.err());
        assertTrue(test.out().contains("FAILED token"), test.out());
        Run send = run("", "send", "--operator", OPERATOR, "--to", MailServers.address("alice"), "--subject",
                "before consent", "--body", "waits");
        assertEquals(3, send.code(), send.out() + send.err());
        assertTrue(send.err().lines().anyMatch(l -> l.startsWith("CONSENT_REQUIRED: mail ")), send.err());
    }

    @Test
    @Order(3)
    void authorizeWithPrintTakesTheRedirectedUrlFromStandardInput() throws Exception {
        Process p = start("authorize", "--operator", OPERATOR, "--consent", "print");
        BufferedReader err = BuiltProduct.lines(p.getErrorStream());
        List<String> before = new ArrayList<>();
        String url = null;
        for (String line; url == null && (line = err.readLine()) != null;) {
            before.add(line);
            if (line.startsWith("http")) {
                url = line;
            }
        }
        assertTrue(url != null, "no authorization URL on standard error: " + before);
        assertTrue(url.contains("code_challenge_method=S256") && url.contains("state="), url);
        URI redirected = new BrowserUser(OPERATOR).signIn(URI.create(url));
        try (OutputStream in = p.getOutputStream()) {
            in.write((redirected + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Run r = finish(p, err, before);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("operator " + OPERATOR + " signed in to flow " + FLOW), r.out());
        assertTrue(r.out().contains("1 mail(s) that waited for this sign-in queued again"), r.out());
        assertFalse(r.out().contains(redirected.getRawQuery()), "the code is never echoed");

        Run test = run("", "test", "--operator", OPERATOR, "--json");
        assertEquals(0, test.code(), test.out() + test.err());
        assertTrue(test.out().contains("\"ok\" : true"), test.out());
    }

    @Test
    @Order(4)
    void aDiffusionWithAnAttachmentIsSentAndFetchedOnceThenNothingNew() throws Exception {
        long before = peers.servers.delivered(OPERATOR);
        Path file = temp.resolve("bl-0099.pdf");
        Files.write(file, "%PDF-1.7\n% delivery note BL-0099\n".getBytes(StandardCharsets.US_ASCII));
        Run send = run("", "send", "--operator", OPERATOR, "--to", MailServers.address(OPERATOR), "--diffusion", "BL",
                "--param", "ID_BL=BL-0099", "--param", "SOCIETE=ACME", "--attach", file.toString(), "--wait");
        assertEquals(0, send.code(), send.out() + send.err());
        assertTrue(send.out().matches("(?s)mail \\d+ sent <.+>: 250.*"), send.out());
        assertTrue(send.err().contains("queued mail") && send.err().contains("[BL_BL-0099.pdf]"),
                "progress on standard error: " + send.err());
        peers.awaitDelivered(OPERATOR, before + 1);

        Path saved = temp.resolve("saved");
        Run fetch = run("", "fetch", "--operator", OPERATOR, "--json", "--save", saved.toString());
        assertEquals(0, fetch.code(), fetch.err());
        assertTrue(fetch.out().contains("ACME - Bon de livraison BL-0099"), fetch.out());
        assertTrue(fetch.err().contains("new mail(s)"), fetch.err());
        try (var files = Files.list(saved)) {
            String eml = Files.readString(files.filter(f -> f.toString().endsWith(".eml")).findFirst().orElseThrow(),
                    StandardCharsets.ISO_8859_1);
            assertTrue(eml.contains("BL_BL-0099.pdf"), "the saved mail holds the named PDF");
        }
        Run again = run("", "fetch", "--operator", OPERATOR, "--json");
        assertEquals(0, again.code(), again.err());
        assertEquals("[ ]", again.out().strip(), "a second fetch brings nothing new");

        Run outbox = run("", "outbox", "list", "--json");
        assertTrue(outbox.out().contains("\"state\" : \"SENT\""), outbox.out());
    }

    @Test
    @Order(5)
    void everyExitCodeComesWithItsOneLineCodedError() throws Exception {
        Run usage = run("", "send", "--operator", OPERATOR);
        assertEquals(2, usage.code());
        assertTrue(usage.err().strip().startsWith("USAGE: --to is required"), usage.err());
        Run noFlow = run("", "send", "--operator", "nobody", "--to", "x@example.test", "--subject", "s", "--body",
                "b");
        assertEquals(4, noFlow.code());
        assertTrue(noFlow.err().strip().startsWith("NO_FLOW_FOR_OPERATOR: "), noFlow.err());
        Run setting = run("", "send", "--operator", OPERATOR, "--to", "x@example.test", "--diffusion", "NOPE");
        assertEquals(4, setting.code());
        assertTrue(setting.err().strip().startsWith("MAIL_SETTING_NOT_FOUND: "), setting.err());
        Run keyword = run("", "send", "--operator", OPERATOR, "--to", "x@example.test", "--diffusion", "BL");
        assertEquals(4, keyword.code());
        assertTrue(keyword.err().strip().startsWith("UNKNOWN_KEYWORD: "), keyword.err());
        Run insecure = run("", "flow", "add", "e2e-clear", "--provider", "custom", "--client-id", "x", "--auth-url",
                "https://login.example.com/auth", "--token-url", "https://login.example.com/token", "--scopes", "mail",
                "--smtp", "smtp.example.com:25", "--smtp-security", "none");
        assertEquals(4, insecure.code());
        assertTrue(insecure.err().strip().startsWith("INVALID_FLOW_DATA: ") && insecure.err().contains("no TLS to smtp.example.com"),
                "no TLS only to a loopback host: " + insecure.err());
        Run badAttach = run("", "send", "--operator", OPERATOR, "--to", "x@example.test", "--subject", "s", "--body",
                "b", "--attach", temp.resolve("missing.pdf").toString());
        assertEquals(4, badAttach.code(), badAttach.err());
        assertTrue(badAttach.err().strip().startsWith("INVALID_INPUT: ") && badAttach.err().contains("--attach"),
                badAttach.err());

        // delivery failed: Postfix refuses this recipient for good (550 5.7.1)
        Run refused = run("", "send", "--operator", OPERATOR, "--to", MailServers.REFUSED, "--subject",
                "refused", "--body", "b", "--wait", "--wait-seconds", "60");
        assertEquals(5, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().lines().anyMatch(l -> l.startsWith("MAIL_REJECTED: ") && l.contains("550")),
                refused.err());

        // anything else (1): a sign-in whose redirected address never comes
        Run noAnswer = run("", "authorize", "--operator", OPERATOR, "--consent", "print");
        assertEquals(1, noAnswer.code(), noAnswer.err());
        assertTrue(noAnswer.err().lines().anyMatch(l -> l.startsWith("OAUTH_FAILED: No redirected URL was given")),
                noAnswer.err());
        assertEquals(0, run("", "test", "--operator", OPERATOR).code(), "a failed sign-in keeps the tokens held");

        Run noConsent = run("", "authorize", "--operator", "nobody");
        assertEquals(4, noConsent.code());
        assertTrue(noConsent.err().strip().startsWith("NO_FLOW_FOR_OPERATOR: "), noConsent.err());
        for (String err : List.of(usage.err(), noFlow.err(), setting.err(), keyword.err(), insecure.err(),
                badAttach.err(), noConsent.err())) {
            assertEquals(1, err.strip().lines().count(), "one line: " + err);
        }
    }

    @Test
    @Order(6)
    void authorizeWithADeviceCodeAgainstKeycloak() throws Exception {
        try (KeycloakServer kc = KeycloakServer.start(temp.resolve("keycloak"))) {
            Run add = run("", "flow", "add", "e2e-device", "--provider", "custom", "--client-id", KeycloakServer.CLIENT,
                    "--auth-url", kc.authorizationEndpoint().toString(), "--token-url", kc.tokenEndpoint().toString(),
                    "--device-url", kc.deviceEndpoint().toString(), "--scopes", "openid", "--consent", "device",
                    "--smtp", "127.0.0.1:" + peers.servers.smtpPort, "--smtp-security", "none");
            assertEquals(0, add.code(), add.err());
            assertEquals(0, run("", "operator", "add", "dora", "--email", "dora@example.test", "--flow", "e2e-device")
                    .code());
            Process p = start("authorize", "--operator", "dora");
            BufferedReader err = BuiltProduct.lines(p.getErrorStream());
            List<String> lines = new ArrayList<>();
            String complete = null;
            for (String line; complete == null && (line = err.readLine()) != null;) {
                lines.add(line);
                if (line.startsWith("Or open ")) {
                    complete = line.substring("Or open ".length()).strip();
                }
            }
            assertTrue(complete != null, "no device-code prompt: " + lines);
            assertTrue(lines.stream().anyMatch(l -> l.contains("enter the code ")), lines.toString());
            new KeycloakDeviceUser().approve(URI.create(complete), KeycloakServer.USER, KeycloakServer.PASSWORD);
            p.getOutputStream().close();
            Run r = finish(p, err, lines);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("operator dora signed in to flow e2e-device"), r.out());
        }
    }

    @Test
    @Order(7)
    void theDemoSendsABlOnTheLocalSandboxAndReadsItBackOnce() throws Exception {
        Path saved = data;
        data = temp.resolve("demo-data"); // a newcomer's empty data folder
        try {
            Run demo = run("", "demo");
            assertEquals(0, demo.code(), demo.out() + demo.err());
            assertTrue(demo.out().contains("2. Signed in (authorization code with PKCE)"), demo.out());
            assertTrue(demo.out().contains("3. Flow test: every step passed"), demo.out());
            assertTrue(demo.out().matches("(?s).*5\\. Read back over IMAP: \"Envoi Demo - Bon de livraison (BL-DEMO-\\d+)\""
                    + " with attachment BL_\\1\\.pdf.*"), demo.out());
            assertTrue(demo.out().contains("6. A second fetch brings 0 new mail"), demo.out());
            assertTrue(Files.isRegularFile(data.resolve("logs/sandbox.log")), "the sandbox's log is in the data folder");
            Run outbox = run("", "outbox", "list", "--json");
            assertTrue(outbox.out().contains("\"flow\" : \"sandbox\"") && outbox.out().contains("\"state\" : \"SENT\""),
                    outbox.out());
        } finally {
            data = saved;
        }
    }

    /**
     * Issue 15.3: the files are written before the mark is saved. A save that cannot write exits non-zero with its
     * coded line, and the next fetch brings the same mail, which is then written whole.
     */
    @Test
    @Order(40)
    void aFetchWhoseSaveFailsKeepsTheMailForTheNextFetch() throws Exception {
        Run start = run("", "fetch", "--operator", OPERATOR, "--json");
        assertEquals(0, start.code(), start.err());
        long before = peers.servers.delivered(OPERATOR);
        Run send = run("", "send", "--operator", OPERATOR, "--to", MailServers.address(OPERATOR), "--subject",
                "kept across a failed save", "--body", "b", "--wait");
        assertEquals(0, send.code(), send.out() + send.err());
        peers.awaitDelivered(OPERATOR, before + 1);

        Path notAFolder = Files.writeString(temp.resolve("not-a-folder"), "a file where the folder should be");
        Run failed = run("", "fetch", "--operator", OPERATOR, "--save", notAFolder.resolve("mails").toString(),
                "--mark-seen");
        assertEquals(4, failed.code(), failed.out() + failed.err());
        String line = failed.err().lines().filter(l -> l.startsWith("INVALID_INPUT: ")).findFirst().orElse("");
        assertTrue(line.contains("--save") && line.contains("next fetch brings them again"), failed.err());
        assertFalse(failed.out().contains("kept across a failed save"), "nothing reported as fetched: " + failed.out());

        Path good = temp.resolve("saved-after-failure");
        Run again = run("", "fetch", "--operator", OPERATOR, "--json", "--save", good.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("kept across a failed save"), "the same mail comes again: " + again.out());
        try (var files = Files.list(good)) {
            List<Path> eml = files.filter(f -> f.toString().endsWith(".eml")).toList();
            assertEquals(1, eml.size(), eml.toString());
            assertTrue(Files.readString(eml.get(0), StandardCharsets.ISO_8859_1).contains(
                    "Subject: kept across a failed save"));
        }
        assertEquals("[ ]", run("", "fetch", "--operator", OPERATOR, "--json").out().strip(), "then never again");
    }

    /**
     * Issue 15.16: one byte changed in the key file. A command that needs no secret works, at once; one that needs
     * the vault fails within seconds with VAULT_ERROR naming the key's source and what to do; nothing is written.
     */
    @Test
    @Order(41)
    void aDamagedKeyFileStopsOnlyWhatNeedsASecretAndSaysWhatToDo() throws Exception {
        Path keyed = temp.resolve("key-file-data");
        Run add = runWithKeyFile(keyed, "s3cret-pw\n", "flow", "add", "basic-keyfile", "--provider", "custom",
                "--type", "basic", "--username", "carol", "--password-stdin", "--smtp", "127.0.0.1:"
                        + peers.servers.smtpPort, "--smtp-security", "none");
        assertEquals(0, add.code(), add.err());
        assertEquals(0, runWithKeyFile(keyed, "", "operator", "add", "carol", "--email", MailServers.address("carol"),
                "--flow", "basic-keyfile").code());
        Path key = keyed.resolve("vault.key");
        byte[] k = Files.readAllBytes(key);
        k[0] = (byte) (k[0] == 'A' ? 'B' : 'A'); // still base64: another key, not the vault's
        Files.write(key, k);
        byte[] vaultBefore = Files.readAllBytes(keyed.resolve("vault/key-check.vlt"));

        long t0 = System.nanoTime();
        Run list = runWithKeyFile(keyed, "", "flow", "list");
        long listMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("basic-keyfile"), list.out());
        assertTrue(listMs < 30_000, "flow list waited " + listMs + " ms");

        t0 = System.nanoTime();
        Run test = runWithKeyFile(keyed, "", "test", "--operator", "carol");
        long testMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(testMs < 30_000, "test waited " + testMs + " ms");
        assertTrue(test.code() != 0, test.out() + test.err());
        String all = test.out() + test.err();
        assertTrue(all.contains("VAULT_ERROR") && all.contains("Restore the key from your backup")
                && all.contains("ENVOI_VAULT_KEY") && all.contains(key.toString()), all);
        assertTrue(java.util.Arrays.equals(vaultBefore, Files.readAllBytes(keyed.resolve("vault/key-check.vlt"))),
                "nothing written with the wrong key");
    }

    /**
     * Issue 15.9a: the server renumbers the mailbox (a new UIDVALIDITY, as after a server move or a lost index). The
     * next fetch brings only the mail that arrived since, not again those already fetched, with or without a
     * Message-ID (then known by its headers), and {@code --save} into the same folder adds one file, changing none.
     */
    @Test
    @Order(42)
    void afterTheServerRenumbersTheMailboxOnlyNewMailIsFetched() throws Exception {
        assertEquals(0, run("", "fetch", "--operator", OPERATOR, "--json").code());
        long before = peers.servers.delivered(OPERATOR);
        Run send = run("", "send", "--operator", OPERATOR, "--to", MailServers.address(OPERATOR), "--subject",
                "fetched before the renumbering", "--body", "b", "--wait");
        assertEquals(0, send.code(), send.out() + send.err());
        peers.servers.putInMaildir(OPERATOR, "no-message-id", out -> out.write(("From: erp@" + MailServers.DOMAIN
                + "\r\nTo: " + MailServers.address(OPERATOR) + "\r\nSubject: no Message-ID, fetched before\r\n\r\n"
                + "body\r\n").getBytes(StandardCharsets.US_ASCII)));
        peers.awaitDelivered(OPERATOR, before + 2);
        Path dir = temp.resolve("saved-across-renumbering");
        Run first = run("", "fetch", "--operator", OPERATOR, "--json", "--save", dir.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("fetched before the renumbering") && first.out().contains(
                "no Message-ID, fetched before"), first.out());
        java.util.Map<Path, String> savedBefore = new java.util.HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                savedBefore.put(f, sha256(f));
            }
        }
        assertEquals(2, savedBefore.size(), savedBefore.toString());
        long validity = peers.servers.uidValidity(OPERATOR);

        peers.servers.renumber(OPERATOR);
        Thread.sleep(1_100); // Dovecot takes the time in seconds as the new UIDVALIDITY: not the same second
        send = run("", "send", "--operator", OPERATOR, "--to", MailServers.address(OPERATOR), "--subject",
                "arrived after the renumbering", "--body", "b", "--wait");
        assertEquals(0, send.code(), send.out() + send.err());
        peers.awaitDelivered(OPERATOR, before + 3);

        Run after = run("", "fetch", "--operator", OPERATOR, "--json", "--save", dir.toString());
        assertEquals(0, after.code(), after.err());
        assertTrue(peers.servers.uidValidity(OPERATOR) != validity, "Dovecot renumbered the mailbox");
        assertTrue(after.out().contains("arrived after the renumbering"), after.out());
        assertEquals(1, after.out().split("\"serverId\"", -1).length - 1, "only the new mail: " + after.out());
        for (var f : savedBefore.entrySet()) {
            assertEquals(f.getValue(), sha256(f.getKey()), "no file overwritten: " + f.getKey());
        }
        try (var files = Files.list(dir)) {
            List<Path> added = files.filter(f -> !savedBefore.containsKey(f)).toList();
            assertEquals(1, added.size(), "one new file: " + added);
            assertTrue(Files.readString(added.get(0), StandardCharsets.ISO_8859_1).contains(
                    "Subject: arrived after the renumbering"));
        }
        assertEquals("[ ]", run("", "fetch", "--operator", OPERATOR, "--json").out().strip(), "then nothing");
    }

    /**
     * Issue 15.9c: a 50 MB mail fetched with {@code --save} by a CLI whose heap is 128 MB: the message goes to the disk
     * as it comes, whole and unchanged.
     */
    @Test
    @Order(43)
    void aFiftyMegabyteMailIsSavedByACliWithA128MegabyteHeap() throws Exception {
        assertEquals(0, run("", "fetch", "--operator", OPERATOR, "--json").code());
        Path big = peers.servers.putInMaildir(OPERATOR, "fifty-mb", out -> {
            out.write(("From: erp@" + MailServers.DOMAIN + "\r\nTo: " + MailServers.address(OPERATOR)
                    + "\r\nSubject: fifty megabytes\r\nMessage-ID: <fifty-mb@envoi.test>\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            java.util.Random random = new java.util.Random(9);
            byte[] line = new byte[76];
            byte[] alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(
                    StandardCharsets.US_ASCII);
            for (long written = 0; written < 50L * 1024 * 1024; written += 78) {
                for (int i = 0; i < line.length; i++) {
                    line[i] = alphabet[random.nextInt(64)];
                }
                out.write(line);
                out.write('\r');
                out.write('\n');
            }
        });
        long size = Files.size(big);
        assertTrue(size > 50L * 1024 * 1024, "a mail of more than 50 MB");
        String sha = sha256(big); // Dovecot moves the file to cur/ when it reads it

        Path dir = temp.resolve("saved-fifty-mb");
        Process p = start(java.util.Map.of("ENVOI_VMARGS", "-Xmx128m"), "fetch", "--operator", OPERATOR, "--json",
                "--save", dir.toString());
        long[] peakKb = { 0 };
        Thread watch = new Thread(() -> {
            Path status = Path.of("/proc", Long.toString(p.pid()), "status");
            while (p.isAlive()) {
                try {
                    for (String l : Files.readAllLines(status)) {
                        if (l.startsWith("VmHWM:")) {
                            peakKb[0] = Math.max(peakKb[0], Long.parseLong(l.replaceAll("\\D", "")));
                        }
                    }
                    Thread.sleep(50);
                } catch (IOException | InterruptedException | RuntimeException e) {
                    return; // the process ended
                }
            }
        }, "vmhwm");
        watch.setDaemon(true);
        watch.start();
        p.getOutputStream().close();
        Run r = finish(p, BuiltProduct.lines(p.getErrorStream()), new ArrayList<>());
        watch.join(5_000);
        System.out.println("MEMORY fetch --save of a " + size / 1024 / 1024 + " MB mail with -Xmx128m:"
                + " peak RSS (VmHWM) " + peakKb[0] / 1024 + " MB");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("fifty megabytes"), "out: " + r.out() + "\nerr: " + r.err());
        try (var files = Files.list(dir)) {
            List<Path> eml = files.toList();
            assertEquals(1, eml.size(), eml.toString());
            assertEquals(size, Files.size(eml.get(0)), "the whole mail");
            assertEquals(sha, sha256(eml.get(0)), "the same bytes");
        }
    }

    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0;) {
                d.update(b, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(d.digest());
    }

    /**
     * A command that runs out of memory (or meets any other Error) must not exit 0 as if it had worked: here an
     * attachment larger than the heap the administrator gave the command line.
     */
    @Test
    @Order(44)
    void aCommandThatRunsOutOfMemoryExitsNonZeroWithALine() throws Exception {
        Path big = temp.resolve("too-big-for-the-heap.bin");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] { 1 }), 160L * 1024 * 1024); // sparse, 160 MB
        }
        Process p = start(java.util.Map.of("ENVOI_VMARGS", "-Xmx96m"), "send", "--operator", OPERATOR, "--to",
                MailServers.address(OPERATOR), "--subject", "heap", "--body", "b", "--attach", big.toString());
        p.getOutputStream().close();
        Run r = finish(p, BuiltProduct.lines(p.getErrorStream()), new ArrayList<>());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("FAILURE: ") && l.contains("memory")
                && l.contains("ENVOI_VMARGS")), r.err());
        Files.delete(big);
    }

    /** As {@link #run}, on another data folder, the vault key from the key file there (no ENVOI_VAULT_KEY). */
    static Run runWithKeyFile(Path dataFolder, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(BuiltProduct.linuxProduct().resolve("envoi").toString(),
                "--data", dataFolder.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("ENVOI_VAULT_KEY");
        pb.environment().put("ENVOI_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("DISPLAY");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return finish(p, BuiltProduct.lines(p.getErrorStream()), new ArrayList<>());
    }

    @Test
    @Order(8)
    void outboxRetrySendsInItsOwnProcessAMailQueuedWhileTheServerWasDown() throws Exception {
        int port = TestServers.freePort(); // nothing listens there: the SMTP server is down
        Run add = run(MailServers.CAROL_PASSWORD + "\n", "flow", "add", "e2e-outage", "--provider", "custom",
                "--type", "basic", "--smtp", "127.0.0.1:" + port, "--smtp-security", "none", "--username", "carol",
                "--password-stdin");
        assertEquals(0, add.code(), add.err());
        assertEquals(0, run("", "operator", "add", "carol", "--email", MailServers.address("carol"), "--flow",
                "e2e-outage").code());
        long before = peers.servers.delivered("carol");
        Run send = run("", "send", "--operator", "carol", "--to", MailServers.address("carol"), "--subject",
                "after the outage", "--body", "queued while the server was down");
        assertEquals(0, send.code(), send.out() + send.err());
        assertTrue(send.out().matches("(?s)mail \\d+ queued \\(RETRY.*"), "the first attempt failed: " + send.out());
        String id = send.out().split(" ")[1];

        try (CuttingProxy up = CuttingProxy.relay(port, peers.servers.smtpPort)) { // the server is back
            // 15 s is less than the first back-off (30 s): the retry does not wait for it
            Run retry = run("", "outbox", "retry", "--wait", "--wait-seconds", "15");
            // every stopped mail goes: this one, and the one Postfix refused in everyExitCode... (550 again)
            assertTrue(retry.out().lines().anyMatch(l -> l.matches("mail " + id + " sent <.+>: 250.*")),
                    "sent by the retry itself, without its back-off: " + retry.out() + retry.err());
            assertTrue(retry.err().lines().anyMatch(l -> l.equals("mail " + id + ": SENT")),
                    "progress on standard error: " + retry.err());
            assertTrue(retry.err().lines().anyMatch(l -> l.startsWith("MAIL_REJECTED: mail ") && l.contains("550")),
                    "each mail's final line: " + retry.err());
            assertEquals(5, retry.code(), "the exit code of the worst: " + retry.out() + retry.err());
            peers.awaitDelivered("carol", before + 1);
            peers.servers.awaitQueueEmpty(); // nothing accepted is still on its way, and no Envoi runs
            assertEquals(before + 1, peers.servers.delivered("carol"), "delivered exactly once");
        }
        Run again = run("", "outbox", "retry", id);
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().matches("(?s)mail " + id + " sent <.+>: 250.*"),
                "a sent mail stays sent: " + again.out());
    }

    @Test
    @Order(9)
    void aSubjectWithControlCharactersIsOneEscapedLineOfFetch() throws Exception {
        String subject = "a\tb\nFAKE\trow\u001b[31m\u202eevil";
        String from = "Carol\u001b]0;owned\u0007";
        long before = peers.servers.delivered(OPERATOR);
        submit("carol", MailServers.CAROL_PASSWORD, MailServers.address(OPERATOR), "From: " + encodedWord(from)
                + " <" + MailServers.address("carol") + ">\r\nTo: " + MailServers.address(OPERATOR) + "\r\nSubject: "
                + encodedWord(subject) + "\r\nMessage-ID: <forged-" + System.nanoTime() + "@example.test>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nbody\r\n");
        peers.awaitDelivered(OPERATOR, before + 1);
        Run fetch = run("", "fetch", "--operator", OPERATOR);
        assertEquals(0, fetch.code(), fetch.err());
        List<String> lines = fetch.out().lines().toList();
        assertEquals(1, lines.size(), "one mail, one line: " + fetch.out());
        String[] fields = lines.get(0).split("\t", -1);
        assertEquals(3, fields.length, "UID, From, Subject: " + lines.get(0));
        assertEquals("a\\tb\\nFAKE\\trow\\x1b[31m\\u202eevil", fields[2], "the escapes visible");
        assertTrue(lines.get(0).chars().noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f || c == 0x202e),
                "no control character reaches the terminal: " + lines.get(0));
    }

    /**
     * Issue 18.6: a server is set up by script. Through the product's script: a flow edited in place (a misspelt option
     * refused, nothing saved), the company's logo checked as an image in the product's own runtime, a mail setting's
     * unknown keyword refused naming its option. Last, since it changes the company and a setting.
     */
    @Test
    @Order(90)
    void theFlowCompanyAndMailSettingsAreAdministeredFromTheScript() throws Exception {
        String flow = "e2e-admin";
        assertEquals(0, run("", "flow", "add", flow, "--provider", "custom", "--client-id", "envoi-e2e", "--auth-url",
                peers.oauth.authorizationEndpoint("mail").toString(), "--token-url", peers.oauth.tokenEndpoint("mail")
                        .toString(), "--scopes", "openid mail offline_access", "--smtp", "127.0.0.1:"
                                + peers.servers.smtpPort, "--smtp-security", "none").code());
        Run typo = run("", "flow", "set", flow, "--attachment-limit-mb", "7", "--tennant", "x");
        assertEquals(2, typo.code(), typo.err());
        assertTrue(typo.err().strip().startsWith("USAGE: flow set has no option --tennant"), typo.err());
        Run set = run("secret-from-stdin\n", "flow", "set", flow, "--attachment-limit-mb", "7",
                "--client-secret-stdin");
        assertEquals(0, set.code(), set.err());
        Run show = run("", "flow", "show", flow);
        assertTrue(show.out().contains("\"attachmentLimitBytes\" : 7340032"), show.out());
        assertFalse(show.out().contains("secret-from-stdin") || set.out().contains("secret-from-stdin"));

        Path logo = Files.write(temp.resolve("logo.png"), Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAEAA"
                + "AABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="));
        Run company = run("", "company", "set", "--name", "Envoi E2E", "--logo", logo.toString());
        assertEquals(0, company.code(), company.err());
        assertEquals("company saved: Envoi E2E, logo image/png", company.out().strip());
        Path text = Files.writeString(temp.resolve("text.png"), "not a picture");
        Run notImage = run("", "company", "set", "--logo", text.toString());
        assertEquals(4, notImage.code(), notImage.err());
        assertTrue(notImage.err().strip().startsWith("INVALID_INPUT: --logo "), notImage.err());

        Run keyword = run("", "setting", "set", "DEVIS CLIENT", "--subject", "Devis [NUMERO]");
        assertEquals(4, keyword.code(), keyword.err());
        assertTrue(keyword.err().strip().startsWith("INVALID_INPUT: --subject") && keyword.err().contains("[NUMERO]"),
                keyword.err());
        Run setting = run("", "setting", "set", "DEVIS CLIENT", "--priority", "high", "--no-keep-copy");
        assertEquals(0, setting.code(), setting.err());
        assertEquals("setting DEVIS CLIENT saved", setting.out().strip());
    }

    /** RFC 2047: the text as one base64 encoded-word, control characters and all. */
    private static String encodedWord(String text) {
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    /** Submits a raw message to Postfix with AUTH PLAIN, as any sender on the Internet could write it. */
    private static void submit(String user, String password, String to, String message) throws IOException {
        try (Socket s = new Socket("127.0.0.1", peers.servers.smtpPort)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            for (String[] step : new String[][] { { "EHLO test.example", "250" }, { "AUTH PLAIN " + Base64
                    .getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)),
                    "235" }, { "MAIL FROM:<" + MailServers.address(user) + ">", "250" }, { "RCPT TO:<" + to + ">",
                            "250" }, { "DATA", "354" }, { message + ".", "250" }, { "QUIT", "221" } }) {
                out.write((step[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                expect(in, step[1]);
            }
        }
    }

    /** Reads one SMTP reply (its continuation lines too) and asserts its code. */
    private static void expect(BufferedReader in, String code) throws IOException {
        for (String line; (line = in.readLine()) != null;) {
            if (line.length() < 4 || line.charAt(3) != '-') {
                assertTrue(line.startsWith(code), "SMTP answered " + line + ", expected " + code);
                return;
            }
        }
        throw new IOException("the SMTP server closed the connection");
    }

    private static String vaultKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
