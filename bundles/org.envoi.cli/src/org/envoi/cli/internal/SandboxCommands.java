package org.envoi.cli.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.diffusion.Sandbox;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.oauth.TokenService;
import org.envoi.cli.internal.Cli.Options;

/**
 * {@code sandbox} and {@code demo} on the {@link Sandbox} service: a real OAuth2 server and a real mail server on
 * 127.0.0.1 and a ready flow with its operator, for trying Envoi without a cloud account.
 */
final class SandboxCommands {

    private final Sandbox sandbox;
    private final TokenService tokens;
    private final MailCommands mail;
    private final FlowTester tester;

    SandboxCommands(Sandbox sandbox, TokenService tokens, MailCommands mail, FlowTester tester) {
        this.sandbox = sandbox;
        this.tokens = tokens;
        this.mail = mail;
        this.tester = tester;
    }

    /** {@code sandbox}: starts the servers, writes the flow and the operator, runs until interrupted. */
    int sandbox(PrintStream out, PrintStream err) {
        err.println("starting the sandbox servers...");
        Sandbox.Running s = sandbox.start();
        try {
            out.println("Envoi sandbox ready: flow '" + s.flowId() + "', operator '" + s.operatorId() + "' <"
                    + s.address() + ">, SMTP 127.0.0.1:" + s.smtpPort() + ", IMAP 127.0.0.1:" + s.imapPort()
                    + ", POP3 127.0.0.1:" + s.pop3Port() + ", OAuth " + s.issuer() + " (log: " + s.log() + ")");
            out.println("In another terminal: envoi authorize --operator " + s.operatorId() + ", then envoi send"
                    + " --operator " + s.operatorId() + " --to " + s.address() + " --diffusion BL --param ID_BL=BL-0001"
                    + " --param SOCIETE=Demo --wait, then envoi fetch --operator " + s.operatorId()
                    + ". Ctrl-C stops the sandbox.");
            out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Thread hook = new Thread(stop::countDown, "envoi-sandbox-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                while (sandbox.running().isPresent() && !stop.await(1, TimeUnit.SECONDS)) {
                    // until Ctrl-C (the shutdown hook) or the servers end
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (sandbox.running().isEmpty()) {
                err.println("FAILURE: the sandbox servers stopped; see " + s.log());
                return Cli.FAILURE;
            }
            return Cli.OK;
        } finally {
            sandbox.stop();
        }
    }

    /**
     * {@code demo [--keep]}: the sandbox, then everything a newcomer should see once: sign-in (the sandbox's OAuth
     * server signs the demo operator in without a form, so the command plays the browser), the flow test, a BL with
     * its PDF sent through the outbox, read back over IMAP, a second fetch that brings nothing.
     */
    int demo(Options o, PrintStream out, PrintStream err) throws IOException {
        err.println("starting the sandbox servers...");
        Sandbox.Running s = sandbox.start();
        String flow = s.flowId();
        String operator = s.operatorId();
        try {
            out.println("1. Sandbox started on 127.0.0.1: flow '" + flow + "', operator '" + operator + "' <"
                    + s.address() + ">, SMTP " + s.smtpPort() + ", IMAP " + s.imapPort() + ", OAuth " + s.issuer());
            sandbox.signIn();
            out.println("2. Signed in (authorization code with PKCE); tokens kept in the vault, access valid until "
                    + tokens.status(flow, operator).accessTokenExpiresAt().map(Instant::toString).orElse("?"));
            FlowTester.Report r = tester.test(flow, operator);
            out.println("3. Flow test: " + (r.ok() ? "every step passed" : "FAILED"));
            r.steps().forEach(step -> out.println("     " + (step.ok() ? "OK     " : "FAILED ") + step.name() + ": "
                    + step.sentence()));
            if (!r.ok()) {
                return Cli.FAILURE;
            }
            String number = "BL-DEMO-" + (System.currentTimeMillis() % 100_000);
            Options send = new Options(List.of("--operator", operator, "--to", s.address(), "--diffusion", "BL",
                    "--param", "ID_BL=" + number, "--param", "SOCIETE=Envoi Demo", "--param", "CLIENT=Newcomer Ltd",
                    "--param", "DATE=" + LocalDate.now(), "--wait", "--wait-seconds", "60"));
            int sent = mail.send(send, out, err);
            if (sent != Cli.OK) {
                return sent;
            }
            out.println("4. " + number + " sent through the outbox with its PDF");
            List<FetchedMail> got = new ArrayList<>();
            java.util.Map<FetchedMail, String> attachments = new java.util.HashMap<>();
            Instant end = Instant.now().plusSeconds(20);
            while (got.isEmpty() && Instant.now().isBefore(end)) {
                // the contents are read while the fetch keeps them
                got.addAll(mail.fetcher().fetchNew(operator, "INBOX", MailFetcher.AfterFetch.NOTHING, mails -> mails
                        .forEach(m -> attachments.put(m, attachmentNames(m)))));
                if (got.isEmpty()) {
                    sleep(300);
                }
            }
            Optional<FetchedMail> back = got.stream().filter(m -> m.subject().contains(number)).findFirst();
            if (back.isEmpty()) {
                err.println("MAIL_UNAVAILABLE: the sent " + number + " did not arrive in the sandbox's INBOX.");
                return Cli.DELIVERY;
            }
            out.println("5. Read back over IMAP: \"" + back.get().subject() + "\" with " + attachments.get(back
                    .get()));
            out.println("6. A second fetch brings " + mail.fetcher().fetchNew(operator, "INBOX").size()
                    + " new mail: nothing is fetched twice");
            if (o.flags.contains("--keep")) {
                out.println("The sandbox keeps running (Ctrl-C stops it); try envoi send / fetch with --operator "
                        + operator + " in another terminal.");
                out.flush();
                while (sandbox.running().isPresent()) {
                    sleep(1000);
                }
            }
            return Cli.OK;
        } finally {
            sandbox.stop();
        }
    }

    private static final Pattern FILE_NAME = Pattern.compile("filename=\"?([^\";\\r\\n]+)\"?");

    private static String attachmentNames(FetchedMail m) {
        Matcher x = FILE_NAME.matcher(new String(m.raw(), StandardCharsets.ISO_8859_1));
        List<String> names = new ArrayList<>();
        while (x.find()) {
            names.add(x.group(1));
        }
        return names.isEmpty() ? "no attachment" : "attachment " + String.join(", ", names);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
