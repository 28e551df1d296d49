package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.oauth.ConsentTerminal;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.TokenService;
import org.envoi.cli.internal.Cli.Options;
import org.envoi.cli.internal.Cli.Usage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;

/** {@code authorize}, {@code send}, {@code fetch} and {@code outbox retry}: the operator's side of the command line. */
final class MailCommands {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Duration POLL = Duration.ofMillis(100);

    private final FlowAdmin admin;
    private final FlowRepository flows;
    private final OperatorRepository operators;
    private final TokenService tokens;
    private final Diffusion diffusion;
    private final MailFetcher fetcher;
    private final Outbox outbox;
    private final OutboxSenders senders;
    private final TerminalConsent print;
    private final TerminalConsent loopback;

    MailCommands(FlowAdmin admin, FlowRepository flows, OperatorRepository operators, TokenService tokens,
            Diffusion diffusion, MailFetcher fetcher, Outbox outbox, OutboxSenders senders, TerminalConsent print,
            TerminalConsent loopback) {
        this.print = print;
        this.loopback = loopback;
        this.admin = admin;
        this.flows = flows;
        this.operators = operators;
        this.tokens = tokens;
        this.diffusion = diffusion;
        this.fetcher = fetcher;
        this.outbox = outbox;
        this.senders = senders;
    }

    MailFetcher fetcher() {
        return fetcher;
    }

    String flowOf(String operator) {
        return operators.flowOf(operator).orElseThrow(() -> new EnvoiException(ErrorCode.NO_FLOW_FOR_OPERATOR, null,
                "No flow is attached to operator '" + operator + "': envoi operator add " + operator
                        + " --email ADDRESS --flow FLOW_ID attaches one.", null));
    }

    /** {@code authorize --operator ID [--consent loopback|print|device] [--resource NAME]}. */
    int authorize(Options o, PrintStream out, PrintStream err, BufferedReader in) {
        String operator = o.required("--operator");
        String flowId = flowOf(operator);
        String resource = o.get("--resource").orElse("");
        FlowAdmin.SignInTarget target = admin.signInTarget(flowId, operator, resource);
        Flow flow = flows.flow(flowId).orElseThrow();
        String flowHost = flow.oauth().consentHost().name().toLowerCase(Locale.ROOT);
        // the desktop's embedded browser does not exist here: the system browser with the loopback listener stands in
        String how = o.get("--consent").orElse(flowHost.equals("embedded") ? "loopback" : flowHost);
        switch (how) {
            case "device" -> tokens.authorizeWithDeviceCode(target.client(), target.owner(),
                    (code, uri, complete, expiresIn) -> {
                        // the address and the code come from the OAuth server
                        err.println("To sign in, open " + Printable.text(String.valueOf(uri)) + " on any device and"
                                + " enter the code " + Printable.text(code) + " (valid " + Math.max(1, expiresIn
                                        .toMinutes()) + " min).");
                        complete.ifPresent(c -> err.println("Or open " + Printable.text(String.valueOf(c))));
                        err.println("Waiting for the sign-in...");
                        err.flush();
                    }, Duration.ofMinutes(15));
            case "print" -> {
                err.println("Open the address below, sign in, then paste here the address the browser ends on:");
                tokens.authorize(target.client(), target.owner(), print.open(ConsentTerminal.of(err, in)),
                        Duration.ofMinutes(15));
            }
            case "loopback" -> tokens.authorize(target.client(), target.owner(), loopback.open(ConsentTerminal.of(err,
                    in)), Duration.ofMinutes(5));
            default -> throw new Usage("--consent '" + how + "' is not one of [loopback, print, device]");
        }
        CredentialStatus status = tokens.status(flowId, target.owner(), resource);
        out.println("operator " + operator + " signed in to flow " + flowId + (resource.isEmpty() ? ""
                : " for " + resource) + (target.owner().equals(operator) ? "" : " (shared mailbox)") + status
                        .accessTokenExpiresAt().map(t -> "; access valid until " + t).orElse(""));
        if (resource.isEmpty()) {
            // a file store of another resource than the transport's (OneDrive beside SMTP) needs a sign-in of its own
            for (String other : admin.otherResources(flowId)) {
                if (tokens.status(flowId, target.owner(), other).state() != CredentialStatus.State.VALID) {
                    out.println("this flow also keeps files through '" + other + "': envoi authorize --operator "
                            + operator + " --resource " + other);
                }
            }
        }
        List<OutboxEntry> waiting = outbox.list(10_000).stream().filter(e -> e.state() == State.WAITING_CONSENT
                && e.flowId().equals(flowId) && (e.operatorId().equals(operator) || e.operatorId().equals(
                        target.owner()))).toList();
        waiting.forEach(e -> outbox.retry(e.id()));
        if (!waiting.isEmpty()) {
            out.println(waiting.size() + " mail(s) that waited for this sign-in queued again");
        }
        return Cli.OK;
    }

    /** {@code send --operator ID --to A[,B] [--cc ...] (--subject S --body T | --diffusion CODE [--param K=V]...)}. */
    int send(Options o, PrintStream out, PrintStream err) throws IOException {
        String operator = o.required("--operator");
        List<String> to = o.all("--to");
        if (to.isEmpty()) {
            throw new Usage("--to is required");
        }
        List<String> cc = o.all("--cc");
        Map<String, String> params = new LinkedHashMap<>();
        for (String p : o.each("--param")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new Usage("--param '" + p + "' must be KEY=VALUE");
            }
            params.put(p.substring(0, eq).strip(), p.substring(eq + 1));
        }
        List<Attachment> files = new ArrayList<>();
        for (String f : o.each("--attach")) {
            Path p = Path.of(f);
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, "attach", "--attach " + f + ": the file cannot be"
                        + " read; check the path. Nothing was queued.", null);
            }
            files.add(new Attachment(p.getFileName().toString(), mimeType(p), Files.readAllBytes(p)));
        }
        Diffusion.Sent sent;
        Optional<String> code = o.get("--diffusion");
        if (code.isPresent()) {
            if (o.get("--subject").isPresent() || o.get("--body").isPresent()) {
                throw new Usage("--diffusion takes its subject and body from the mail setting: drop --subject/--body");
            }
            sent = diffusion.send(new DocumentContext(code.get(), params, List.of()), files, operator, to, cc);
        } else {
            sent = diffusion.sendMessage(o.required("--subject"), o.required("--body"), params, files, operator, to,
                    cc);
        }
        err.println("queued mail " + sent.outboxId() + ": " + Printable.text(sent.subject()) + sent.documentName()
                .map(n -> " [" + Printable.text(n) + "]").orElse(""));
        boolean wait = o.flags.contains("--wait");
        Duration limit = waitLimit(o, wait);
        return report(follow(List.of(sent.outboxId()), wait, limit, err).get(0), wait, limit, out, err);
    }

    /**
     * {@code outbox retry [MAIL_ID] [--wait [--wait-seconds N]]}: the mail, or every mail not sent, back in the queue
     * now (FAILED, WAITING_CONSENT, RETRY without its back-off; QUEUED ones go too), sent by this process and followed
     * as {@code send} follows its mail. A mail another running Envoi is sending is left to it (followed, not taken).
     * @return the exit code of the worst outcome
     */
    int retry(Options o, PrintStream out, PrintStream err) {
        List<OutboxEntry> mails;
        if (o.positional.isEmpty()) {
            mails = outbox.list(10_000).stream().filter(e -> e.state() != State.SENT).sorted(java.util.Comparator
                    .comparingLong(OutboxEntry::id)).toList();
        } else {
            long id;
            try {
                id = Long.parseLong(o.positional.get(0));
            } catch (NumberFormatException e) {
                throw new Usage("MAIL_ID '" + o.positional.get(0) + "' is not a number");
            }
            mails = List.of(outbox.entry(id).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_INPUT, "MAIL_ID",
                    "There is no mail " + id + " in the outbox: envoi outbox list shows them.", null)));
        }
        boolean wait = o.flags.contains("--wait");
        Duration limit = waitLimit(o, wait);
        if (mails.isEmpty()) {
            out.println("no mail to send: every mail in the outbox is sent");
            return Cli.OK;
        }
        List<Long> ids = new ArrayList<>();
        for (OutboxEntry e : mails) {
            ids.add(e.id());
            if (e.state() == State.SENDING) {
                err.println("mail " + e.id() + " is SENDING: left to the Envoi that holds it (taken back if that Envoi"
                        + " stopped and its claim lapsed)");
            } else if (e.state() != State.SENT) {
                outbox.retry(e.id());
            }
        }
        if (ids.size() > 1) {
            err.println(ids.size() + " mail(s) to send");
        }
        if (mails.stream().anyMatch(e -> e.state() != State.SENT)) {
            senders.wake(); // this process sends them: no other Envoi may be running
        }
        int code = Cli.OK;
        for (OutboxEntry e : follow(ids, wait, limit, err)) {
            code = Math.max(code, report(e, wait, limit, out, err));
        }
        return code;
    }

    /** {@code --wait-seconds}, else 300 s with {@code --wait} and 120 s (the first attempt) without. */
    private static Duration waitLimit(Options o, boolean wait) {
        return Duration.ofSeconds(o.get("--wait-seconds").map(s -> {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new Usage("--wait-seconds '" + s + "' is not a number of seconds");
            }
        }).orElse(wait ? 300L : 120L));
    }

    /** A followed mail's final line (standard output when it is sent or goes later, else the coded error). */
    private static int report(OutboxEntry e, boolean wait, Duration limit, PrintStream out, PrintStream err) {
        return switch (e.state()) {
            case SENT -> {
                out.println("mail " + e.id() + " sent <" + Printable.text(e.messageId()) + ">: " + Printable.text(
                        e.lastReply()));
                yield Cli.OK;
            }
            case FAILED -> {
                err.println("MAIL_REJECTED: mail " + e.id() + " failed: " + Printable.text(e.lastReply()));
                yield Cli.DELIVERY;
            }
            case WAITING_CONSENT -> {
                err.println("CONSENT_REQUIRED: mail " + e.id() + " waits for consent (" + Printable.text(e.lastReply())
                        + "): envoi authorize --operator " + e.operatorId() + ", then envoi outbox retry " + e.id());
                yield Cli.CONSENT;
            }
            default -> {
                if (wait) {
                    err.println("MAIL_UNAVAILABLE: mail " + e.id() + " is still " + e.state() + " after "
                            + limit.toSeconds() + " s" + (e.lastReply() == null ? "" : " (" + Printable.text(
                                    e.lastReply()) + ")") + "; it stays in the outbox and goes with the next Envoi run.");
                    yield Cli.DELIVERY;
                }
                out.println("mail " + e.id() + " queued (" + e.state() + (e.lastReply() == null ? "" : ": "
                        + Printable.text(e.lastReply())) + "); it goes with the next Envoi run, or use --wait");
                yield Cli.OK;
            }
        };
    }

    /**
     * Follows queued mails, printing each change of state on standard error: until each one's first attempt is over,
     * or with {@code --wait} until each is sent, failed or waiting for consent, at most {@code limit} in all.
     * @return where each stands, in the order of {@code ids}
     */
    private List<OutboxEntry> follow(List<Long> ids, boolean wait, Duration limit, PrintStream err) {
        Instant end = Instant.now().plus(limit);
        Map<Long, OutboxEntry> last = new LinkedHashMap<>();
        for (long id : ids) {
            last.put(id, outbox.entry(id).orElseThrow());
        }
        List<Long> open = new ArrayList<>(ids);
        while (!open.isEmpty() && Instant.now().isBefore(end)) {
            for (java.util.Iterator<Long> i = open.iterator(); i.hasNext();) {
                long id = i.next();
                OutboxEntry e = outbox.entry(id).orElseThrow();
                State shown = last.put(id, e).state();
                if (e.state() != shown) {
                    err.println("mail " + id + ": " + e.state() + (e.lastReply() == null || e.state() == State.SENT
                            ? "" : " (" + Printable.text(e.lastReply()) + ")"));
                }
                boolean done = e.state() == State.SENT || e.state() == State.FAILED || e.state()
                        == State.WAITING_CONSENT || (!wait && e.state() == State.RETRY);
                if (done) {
                    i.remove();
                }
            }
            if (open.isEmpty()) {
                break;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new ArrayList<>(last.values());
    }

    /** {@code fetch --operator ID [--folder NAME] [--json] [--save DIR] [--mark-seen] [--move-to FOLDER]}. */
    int fetch(Options o, PrintStream out, PrintStream err) throws IOException {
        String operator = o.required("--operator");
        String folder = o.get("--folder").orElse("INBOX");
        Optional<Path> save = o.get("--save").map(Path::of);
        err.println("fetching the new mail of " + operator + " (" + folder + ")...");
        List<Path> saved = new ArrayList<>();
        // the files are written and forced to the disk before Envoi records the mails as fetched
        MailFetcher.Keeper keeper = save.<MailFetcher.Keeper>map(dir -> mails -> saved.addAll(MailFiles.write(dir,
                folder, mails))).orElse(mails -> {
                });
        List<FetchedMail> mails = fetcher.fetchNew(operator, folder, new MailFetcher.AfterFetch(o.flags.contains(
                "--mark-seen"), o.get("--move-to")), keeper);
        err.println(mails.size() + " new mail(s)");
        if (o.json()) {
            ArrayNode a = JSON.createArrayNode();
            for (int i = 0; i < mails.size(); i++) {
                FetchedMail m = mails.get(i);
                var n = a.addObject().put("serverId", m.serverId()).put("messageId", m.messageId()).put("from",
                        m.from()).put("subject", m.subject()).put("size", m.size());
                if (!saved.isEmpty()) {
                    n.put("file", saved.get(i).toString());
                }
            }
            out.println(JSON.writeValueAsString(a));
        } else {
            for (int i = 0; i < mails.size(); i++) {
                FetchedMail m = mails.get(i);
                // From and Subject are the sender's: escaped, they can add no line, column or terminal escape
                out.println(Printable.field(m.serverId()) + "\t" + Printable.field(m.from()) + "\t" + Printable.field(
                        m.subject()) + (saved.isEmpty() ? "" : "\t" + saved.get(i)));
            }
        }
        return Cli.OK;
    }

    private static String mimeType(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".pdf")) {
            return "application/pdf";
        }
        try {
            String probed = Files.probeContentType(p);
            return probed != null ? probed : "application/octet-stream";
        } catch (IOException e) {
            return "application/octet-stream";
        }
    }
}
