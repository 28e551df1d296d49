package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.diffusion.Sandbox;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowFormat;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.TerminalConsent;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code envoi} command line on the same services as the UI. Exit codes: 0 success, 2 usage, 3 consent required,
 * 4 invalid data or configuration, 5 delivery failed, 1 anything else; an error is one line on standard error that
 * starts with its stable code.
 */
@Component(service = Cli.class)
public final class Cli {

    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int CONSENT = 3;
    public static final int INVALID = 4;
    public static final int DELIVERY = 5;

    static final String HELP = """
            envoi [--data DIR] COMMAND ...
              flow add ID --provider PROVIDER_ID|custom [--type oauth2|basic] [--tenant T] [--client-id X]
                   [--client-secret-stdin] [--auth-url URL] [--token-url URL] [--device-url URL] [--scopes "S1 S2"]
                   [--smtp HOST:PORT] [--smtp-security starttls|tls|none] [--imap HOST:PORT] [--imap-security ...]
                   [--pop HOST:PORT] [--pop-security ...] [--consent embedded|loopback|print|device]
                   [--redirect-uri URI] [--attachment-limit-mb N] [--generic ADDRESS] [--username U] [--password-stdin]
                   [TRANSPORT OPTIONS]
              flow set ID [--name NAME] [--tenant T] [--client-id X] [--client-secret-stdin] [--auth-url URL]
                   [--token-url URL] [--device-url URL] [--scopes "S1 S2"] [--smtp HOST:PORT] [--smtp-security ...]
                   [--imap HOST:PORT] [--imap-security ...] [--pop HOST:PORT] [--pop-security ...] [--consent ...]
                   [--redirect-uri URI] [--attachment-limit-mb N] [--generic ADDRESS] [--username U]
                   [--password-stdin] [--secret-expiry YYYY-MM-DD] [TRANSPORT OPTIONS]
                   (in place: what is not given stays; OPTION "" empties an optional field)
                   TRANSPORT OPTIONS: [--transport smtp|graph|...] [--graph-url URL] [--large-files onedrive|none]
                   [--files-folder PATH] [--link-scope organization|anonymous] [--keep-copies onedrive|none]
                   [--set KEY=VALUE]...   (KEY: a setting the transport or a file store describes)
              flow list [--json] | flow show ID [--json] | flow remove ID | flow export [FILE] | flow import FILE
              flow import-google-json ID FILE
              operator add ID --email ADDRESS [--name NAME] [--flow ID] [--group GROUP] | operator list [--json]
              operator show ID [--json] | operator remove ID
              group add ID [--name NAME] [--flow ID] | group list [--json] | group remove ID
              company set [--name NAME] [--footer-file FILE] [--logo PNG|JPEG|GIF] | company show [--json]
              setting list [--json] | setting show CODE [--json]
              setting set CODE [--subject S] [--body-file FILE] [--file-name PATTERN] [--priority high|normal|low]
                   [--html] [--read-receipt] [--copy-to-sender] [--keep-copy]   (--no-html... turns one off)
              authorize --operator ID [--consent loopback|print|device] [--resource NAME]
              test --operator ID [--json]
              send --operator ID --to ADDR[,ADDR...] [--cc ADDR...] (--subject S --body TEXT | --diffusion CODE
                   [--param KEY=VALUE]...) [--attach FILE]... [--wait [--wait-seconds N]]
              fetch --operator ID [--folder NAME] [--json] [--save DIR] [--mark-seen] [--move-to FOLDER]
              outbox list [--json] | outbox retry [MAIL_ID] [--wait [--wait-seconds N]]
              serve [--smtp HOST:PORT] [--imap HOST:PORT] [--pop HOST:PORT] [--allow-remote] [--no-tls]
                   [--tls-cert PEM --tls-key PEM]   # sends the outbox, and relays, until SIGTERM or Ctrl-C
              serve --status [--json]                # exit 0 when a server runs on the data folder, 3 when none
              relay-user add OPERATOR --password-stdin | relay-user list [--json] | relay-user remove OPERATOR
              status [--json]                        # sign-ins lapsing within 7 days, and who must act
              sandbox                                # runs the local sandbox until interrupted
              demo [--keep]                          # the sandbox, then a BL sent and read back
            Exit codes: 0 success, 2 usage, 3 consent required, 4 invalid data or configuration,
            5 delivery failed or still queued when --wait gives up, 1 anything else.
            """;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final FlowAdmin admin;
    private final FlowRepository flows;
    private final OperatorRepository operators;
    private final ProviderRegistry providers;
    private final FlowTester tester;
    private final Outbox outbox;
    private final OutboxSenders senders;
    private final FlowFormat format;
    private final MailCommands mail;
    private final SandboxCommands sandbox;
    private final TransportOptions transports;
    private final TokenService tokens;
    private final ServeCommands serve;
    private final AdminCommands administration;
    private final StatusCommand status;

    @Activate
    public Cli(org.osgi.framework.BundleContext context, @Reference FlowAdmin admin, @Reference FlowRepository flows,
            @Reference OperatorRepository operators, @Reference ProviderRegistry providers,
            @Reference FlowTester tester, @Reference Outbox outbox, @Reference TokenService tokens,
            @Reference Diffusion diffusion, @Reference MailFetcher fetcher, @Reference Sandbox sandbox,
            @Reference OutboxSenders senders, @Reference FlowFormat format, @Reference TransportRegistry registry,
            @Reference(target = "(" + ConsentHandler.CONSENT_HOST + "=" + TerminalConsent.PRINT + ")")
            TerminalConsent print,
            @Reference(target = "(" + ConsentHandler.CONSENT_HOST + "=" + TerminalConsent.LOOPBACK + ")")
            TerminalConsent loopback, @Reference SettingsRepository settings, @Reference SignInKeeper keeper) {
        this.admin = admin;
        this.format = format;
        this.flows = flows;
        this.operators = operators;
        this.providers = providers;
        this.tester = tester;
        this.outbox = outbox;
        this.senders = senders;
        this.tokens = tokens;
        this.mail = new MailCommands(admin, flows, operators, tokens, diffusion, fetcher, outbox, senders, print,
                loopback);
        this.sandbox = new SandboxCommands(sandbox, tokens, mail, tester);
        this.transports = new TransportOptions(registry, providers);
        this.serve = new ServeCommands(context, org.envoi.api.DataFolder.resolve(context::getProperty), outbox,
                senders, keeper);
        this.administration = new AdminCommands(admin, flows, transports, settings, diffusion);
        this.status = new StatusCommand(keeper);
    }

    /** Thrown for a command line that does not parse: exit 2 with the usage line. */
    static final class Usage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message, null, false, false);
        }
    }

    /** Runs one command. @return the exit code */
    public int run(String[] argv, PrintStream out, PrintStream err, BufferedReader in) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        try {
            if (args.size() >= 2 && args.get(0).equals("--data")) {
                args = args.subList(2, args.size()); // the data folder is chosen by the start script
            }
            if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")
                    || args.get(0).equals("help")) {
                if (args.size() > 1) {
                    out.print(help(known(args.get(1))));
                    return OK;
                }
                out.print(HELP);
                return args.isEmpty() ? USAGE : OK;
            }
            if (args.contains("--help")) {
                out.print(help(known(args.get(0))));
                return OK;
            }
            String command = args.get(0);
            List<String> rest = args.subList(1, args.size());
            return switch (command) {
                case "flow" -> flow(rest, out, in);
                case "operator" -> operator(rest, out);
                case "group" -> group(rest, out);
                case "company" -> administration.company(rest, out);
                case "setting" -> administration.setting(rest, out);
                case "test" -> test(new Options(rest), out);
                case "outbox" -> outbox(rest, out, err);
                case "authorize" -> mail.authorize(new Options(rest), out, err, in);
                case "send" -> mail.send(new Options(rest), out, err);
                case "fetch" -> mail.fetch(new Options(rest), out, err);
                case "serve" -> serve.serve(new Options(rest), out, err);
                case "relay-user" -> serve.relayUser(rest, out, in);
                case "sandbox" -> sandbox.sandbox(out, err);
                case "demo" -> sandbox.demo(new Options(rest), out, err);
                case "status" -> status.run(new Options(rest), out);
                default -> throw new Usage("unknown command '" + command + "'");
            };
        } catch (Usage e) {
            err.println("USAGE: " + Printable.text(e.getMessage()) + " (envoi --help lists the commands)");
            return USAGE;
        } catch (EnvoiException e) {
            // one line, whatever a server's reply quoted in the message holds
            err.println(e.code() + ": " + Printable.text(e.getMessage()));
            return exitCode(e.code());
        } catch (IOException | RuntimeException e) {
            err.println("FAILURE: " + Printable.text(String.valueOf(e.getMessage())));
            return FAILURE;
        }
    }

    /** The commands {@link #run} knows; help for another word is a usage error (a script would take it for one). */
    private static final List<String> COMMANDS = List.of("flow", "operator", "group", "company", "setting", "test",
            "outbox", "authorize", "send", "fetch", "serve", "relay-user", "sandbox", "demo", "status");

    private static String known(String command) {
        if (!COMMANDS.contains(command)) {
            throw new Usage("unknown command '" + command + "'");
        }
        return command;
    }

    /**
     * The usage of one command: its lines of {@link #HELP} (with their continuation lines) and the exit codes; the
     * whole text for a word that is no command.
     */
    static String help(String command) {
        StringBuilder b = new StringBuilder();
        boolean in = false;
        for (String line : HELP.lines().toList()) {
            if (line.startsWith("  ") && !line.startsWith("   ")) {
                String words = line.strip();
                in = words.equals(command) || words.startsWith(command + " ") || words.contains("| " + command
                        + " ");
            } else if (!line.startsWith(" ")) {
                in = line.startsWith("Exit codes") || line.startsWith("5 delivery") || line.startsWith("envoi ");
            }
            if (in) {
                b.append(line).append('\n');
            }
        }
        return b.toString().lines().count() <= 3 ? HELP : b.toString();
    }

    static int exitCode(ErrorCode code) {
        return switch (code) {
            case CONSENT_REQUIRED -> CONSENT;
            case INVALID_FLOW_DATA, NO_FLOW_FOR_OPERATOR, OPERATOR_NOT_IN_FLOW, MAIL_SETTING_NOT_FOUND,
                    PROVIDER_NOT_FOUND, INSECURE_CONNECTION, UNKNOWN_KEYWORD, ATTACHMENTS_TOO_BIG,
                    INVALID_INPUT -> INVALID;
            case MAIL_REJECTED, MAIL_UNAVAILABLE, MAIL_AUTH_FAILED -> DELIVERY;
            default -> FAILURE;
        };
    }

    /** {@code --name value} options, flags, and the positional words that are left. */
    static final class Options {
        final Map<String, List<String>> values = new HashMap<>();
        final List<String> flags = new ArrayList<>();
        final List<String> positional = new ArrayList<>();
        private static final List<String> FLAGS = List.of("--json", "--client-secret-stdin", "--password-stdin",
                "--wait", "--keep", "--mark-seen", "--status", "--allow-remote", "--no-tls");

        Options(List<String> args) {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (FLAGS.contains(a)) {
                    flags.add(a);
                } else if (a.startsWith("--")) {
                    if (i + 1 >= args.size()) {
                        throw new Usage(a + " needs a value");
                    }
                    values.computeIfAbsent(a, k -> new ArrayList<>()).add(args.get(++i));
                } else {
                    positional.add(a);
                }
            }
        }

        String required(String name) {
            String v = get(name).orElse(null);
            if (v == null || v.isBlank()) {
                throw new Usage(name + " is required");
            }
            return v;
        }

        Optional<String> get(String name) {
            List<String> all = values.getOrDefault(name, List.of());
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1)).filter(s -> !s.isBlank());
        }

        /** Every value of a repeatable option, comma-separated lists split. */
        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (String v : values.getOrDefault(name, List.of())) {
                for (String part : v.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.strip());
                    }
                }
            }
            return out;
        }

        /** Every value of a repeatable option, as given (no splitting). */
        List<String> each(String name) {
            return values.getOrDefault(name, List.of());
        }

        String arg(int index, String what) {
            if (positional.size() <= index) {
                throw new Usage(what + " is missing");
            }
            return positional.get(index);
        }

        boolean json() {
            return flags.contains("--json");
        }
    }

    private int flow(List<String> args, PrintStream out, BufferedReader in) throws IOException {
        if (args.isEmpty()) {
            throw new Usage("flow needs a sub-command: add, set, list, show, remove, export, import,"
                    + " import-google-json");
        }
        Options o = new Options(args.subList(1, args.size()));
        switch (args.get(0)) {
            case "add" -> {
                Flow f = flowFrom(o);
                Optional<String> secret = Optional.empty();
                if (o.flags.contains("--client-secret-stdin") || o.flags.contains("--password-stdin")) {
                    String line = in.readLine();
                    secret = Optional.ofNullable(line).map(String::strip).filter(s -> !s.isEmpty());
                    if (secret.isEmpty()) {
                        throw new Usage("the secret was expected on standard input and none came");
                    }
                }
                admin.save(f, secret);
                out.println("flow " + f.id() + " saved");
            }
            case "set" -> {
                return administration.flowSet(args.subList(1, args.size()), out, in);
            }
            case "list" -> {
                if (o.json()) {
                    out.println(format.writeList(flows.flows()));
                } else {
                    for (Flow f : flows.flows()) {
                        out.println(Printable.field(f.id()) + "\t" + Printable.field(f.providerId()) + "\t"
                                + Printable.field(f.name()));
                    }
                }
            }
            case "show" -> {
                Flow f = flows.flow(o.arg(0, "the flow ID")).orElseThrow(() -> new EnvoiException(
                        ErrorCode.INVALID_FLOW_DATA, "id", "There is no flow '" + o.arg(0, "") + "': envoi flow"
                                + " list shows them.", null));
                out.println(format.write(f)); // a flow shows as its JSON definition, never with a secret
            }
            case "remove" -> {
                String id = o.arg(0, "the flow ID");
                if (!admin.remove(id)) { // with its vault entries: secret and every operator's sign-in
                    throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "id", "There is no flow '" + id + "'.",
                            null);
                }
                out.println("flow " + id + " removed");
            }
            case "export" -> {
                String json = admin.export();
                if (o.positional.isEmpty()) {
                    out.println(json);
                } else {
                    Files.writeString(Path.of(o.positional.get(0)), json, StandardCharsets.UTF_8);
                    out.println("flows exported to " + o.positional.get(0));
                }
            }
            case "import" -> {
                List<Flow> imported = admin.importFlows(read(o.arg(0, "the file")));
                out.println(imported.size() + " flow(s) imported");
            }
            case "import-google-json" -> {
                Flow f = admin.importGoogleClientJson(o.arg(0, "the flow ID"), read(o.arg(1, "the file")));
                out.println("flow " + f.id() + " created from the Google client file");
            }
            default -> throw new Usage("unknown flow sub-command '" + args.get(0) + "'");
        }
        return OK;
    }

    private static String read(String file) throws IOException {
        Path p = Path.of(file);
        if (!Files.isReadable(p)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "file", "The file " + file + " cannot be read:"
                    + " check the path.", null);
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private Flow flowFrom(Options o) {
        String id = o.arg(0, "the flow ID");
        String provider = o.required("--provider");
        FlowType type = enumOf(FlowType.class, "--type", o.get("--type").orElse("oauth2"));
        Optional<MailProvider> p = provider.equals("custom") ? Optional.empty() : providers.find(provider);
        if (!provider.equals("custom") && p.isEmpty()) {
            throw new EnvoiException(ErrorCode.PROVIDER_NOT_FOUND, "provider", "No provider '" + provider
                    + "' is installed; installed: " + providers.providers().stream().map(MailProvider::id).toList()
                    + " (or custom).", null);
        }
        List<String> scopes = o.get("--scopes").map(s -> List.of(s.trim().split("\\s+"))).orElse(p.map(m -> m
                .preset().flowScopes()).orElse(List.of()));
        ConsentHost consent = enumOf(ConsentHost.class, "--consent", o.get("--consent").orElse(p.map(m -> m.preset()
                .consentHost().name()).orElse("loopback")));
        // another transport (Graph) sends and reads itself: the provider's SMTP and IMAP servers are not filled in
        boolean smtpTransport = o.get("--transport").orElse(MailTransport.SMTP).equals(MailTransport.SMTP);
        Optional<MailServer> smtp = server(o, "smtp", p.filter(m -> smtpTransport).map(m -> m.preset().smtp()));
        Optional<MailServer> imap = server(o, "imap", p.filter(m -> smtpTransport).map(m -> m.preset().imap()));
        Optional<MailServer> pop = server(o, "pop", Optional.empty());
        long limit = o.get("--attachment-limit-mb").map(v -> {
            try {
                return Long.parseLong(v) * 1024 * 1024;
            } catch (NumberFormatException e) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "attachmentLimit", "--attachment-limit-mb '" + v
                        + "' is not a whole number of MB.", null);
            }
        }).orElse(25L * 1024 * 1024);
        Flow plain = new Flow(id, p.map(MailProvider::displayName).orElse(id), type, provider, new ProviderFields(
                o.get("--tenant").orElse(""), o.get("--client-id").orElse(""), o.get("--redirect-uri").orElse(""),
                scopes, consent, false), o.get("--auth-url").map(URI::create), o.get("--token-url").map(URI::create),
                o.get("--device-url").map(URI::create), smtp, imap, pop, o.get("--username").orElse(""),
                o.get("--generic"), limit, Optional.<LocalDate>empty());
        // the transport and its settings (and, for another transport than SMTP, its scopes and servers)
        return transports.change(plain, o);
    }

    static Optional<MailServer> server(Options o, String which, Optional<ServerEndpoint> preset) {
        Optional<String> hostPort = o.get("--" + which);
        TlsMode tls = enumOf(TlsMode.class, "--" + which + "-security", o.get("--" + which + "-security").orElse(
                preset.map(e -> e.tls().name()).orElse(which.equals("smtp") ? "starttls" : "tls")));
        if (hostPort.isEmpty()) {
            return preset.map(e -> new MailServer(new ServerEndpoint(e.host(), e.port(), tls),
                    MailServer.DEFAULT_TIMEOUT, null));
        }
        String hp = hostPort.get();
        int colon = hp.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new IllegalArgumentException("write it as HOST:PORT");
            }
            return Optional.of(new MailServer(new ServerEndpoint(hp.substring(0, colon), Integer.parseInt(
                    hp.substring(colon + 1)), tls), MailServer.DEFAULT_TIMEOUT, null));
        } catch (IllegalArgumentException e) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, which, "--" + which + " '" + hp + "': "
                    + (e instanceof NumberFormatException ? "the port is not a number" : e.getMessage()) + ".", null);
        }
    }

    static <E extends Enum<E>> E enumOf(Class<E> type, String option, String value) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Usage(option + " '" + value + "' is not one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    /** {@code group add|list|remove}: operators of a group share its flow. */
    private int group(List<String> args, PrintStream out) throws IOException {
        if (args.isEmpty()) {
            throw new Usage("group needs a sub-command: add, list, remove");
        }
        Options o = new Options(args.subList(1, args.size()));
        switch (args.get(0)) {
            case "add" -> {
                String id = o.arg(0, "the group ID");
                Optional<String> flow = existingFlow(o.get("--flow"));
                operators.save(new OperatorGroup(id, o.get("--name").orElse(id), flow));
                out.println("group " + id + " saved");
            }
            case "list" -> {
                if (o.json()) {
                    ArrayNode a = JSON.createArrayNode();
                    for (OperatorGroup g : operators.groups()) {
                        ObjectNode n = a.addObject().put("id", g.id()).put("name", g.name());
                        g.flowId().ifPresent(f -> n.put("flow", f));
                        n.put("members", members(g.id()).size());
                    }
                    out.println(JSON.writeValueAsString(a));
                } else {
                    for (OperatorGroup g : operators.groups()) {
                        out.println(Printable.field(g.id()) + "\t" + Printable.field(g.flowId().orElse("-")) + "\t"
                                + members(g.id()).size() + "\t" + Printable.field(g.name()));
                    }
                }
            }
            case "remove" -> {
                String id = o.arg(0, "the group ID");
                if (operators.group(id).isEmpty()) {
                    throw new EnvoiException(ErrorCode.INVALID_INPUT, "group", "There is no group '" + id + "':"
                            + " envoi group list shows them.", null);
                }
                List<String> members = members(id);
                if (!members.isEmpty()) {
                    // removing it would silently take their flow from them: nothing is lost by a command
                    throw new EnvoiException(ErrorCode.INVALID_INPUT, "group", "The group '" + id + "' still has "
                            + members.size() + " operator(s): " + String.join(", ", members) + ". Give them another"
                            + " group or flow first (envoi operator add ID --email ADDRESS --group OTHER).", null);
                }
                operators.removeGroup(id);
                out.println("group " + id + " removed");
            }
            default -> throw new Usage("unknown group sub-command '" + args.get(0) + "'");
        }
        return OK;
    }

    private List<String> members(String groupId) {
        return operators.operators().stream().filter(op -> op.groupId().filter(groupId::equals).isPresent()).map(
                Operator::id).sorted().toList();
    }

    /** The {@code --flow} given, which must name a stored flow. */
    private Optional<String> existingFlow(Optional<String> flow) {
        if (flow.isPresent() && flows.flow(flow.get()).isEmpty()) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "flow", "There is no flow '" + flow.get()
                    + "': add it first (envoi flow add).", null);
        }
        return flow;
    }

    private Operator knownOperator(String id) {
        return operators.operator(id).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_INPUT, "operator",
                "There is no operator '" + id + "': envoi operator list shows them.", null));
    }

    private int operator(List<String> args, PrintStream out) throws IOException {
        if (args.isEmpty()) {
            throw new Usage("operator needs a sub-command: add, list, show, remove");
        }
        Options o = new Options(args.subList(1, args.size()));
        switch (args.get(0)) {
            case "add" -> {
                String id = o.arg(0, "the operator ID");
                String email = o.required("--email");
                if (!email.contains("@")) {
                    throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "email", "--email '" + email + "' is not an"
                            + " e-mail address.", null);
                }
                Optional<String> flow = existingFlow(o.get("--flow"));
                operators.save(new Operator(id, o.get("--name").orElse(id), email, o.get("--group"), flow, "", ""));
                out.println("operator " + id + " saved");
            }
            case "list" -> {
                if (o.json()) {
                    ArrayNode a = JSON.createArrayNode();
                    for (Operator op : operators.operators()) {
                        ObjectNode n = a.addObject().put("id", op.id()).put("name", op.name()).put("email", op.email());
                        operators.flowOf(op.id()).ifPresent(f -> n.put("flow", f));
                        op.groupId().ifPresent(g -> n.put("group", g));
                    }
                    out.println(JSON.writeValueAsString(a));
                } else {
                    for (Operator op : operators.operators()) {
                        out.println(Printable.field(op.id()) + "\t" + Printable.field(op.email()) + "\t"
                                + Printable.field(operators.flowOf(op.id()).orElse("-")));
                    }
                }
            }
            case "show" -> {
                Operator op = knownOperator(o.arg(0, "the operator ID"));
                Optional<String> flow = operators.flowOf(op.id());
                if (o.json()) {
                    ObjectNode n = JSON.createObjectNode().put("id", op.id()).put("name", op.name()).put("email",
                            op.email());
                    flow.ifPresent(f -> n.put("flow", f));
                    op.groupId().ifPresent(g -> n.put("group", g));
                    // each resource the operator signed in to, and where that sign-in stands (never a token)
                    flow.ifPresent(f -> {
                        ArrayNode signIns = n.putArray("signIns");
                        for (String r : tokens.resources(f, op.id())) {
                            ObjectNode one = signIns.addObject().put("resource", r);
                            try {
                                one.put("state", tokens.status(f, op.id(), r).state().name());
                            } catch (EnvoiException e) { // a damaged entry is shown as such, the rest still is
                                one.put("state", e.code().name()).put("sentence", e.getMessage());
                            }
                        }
                    });
                    out.println(JSON.writeValueAsString(n));
                } else {
                    out.println(Printable.field(op.id()) + "\t" + Printable.field(op.email()) + "\t"
                            + Printable.field(flow.orElse("-")) + "\t" + Printable.field(op.name()));
                }
            }
            case "remove" -> {
                Operator op = knownOperator(o.arg(0, "the operator ID"));
                Optional<String> flow = operators.flowOf(op.id());
                // the operator's sign-ins go with them, every resource (a generic flow's shared one stays)
                flow.ifPresent(f -> tokens.signOut(f, op.id()));
                operators.remove(op.id());
                out.println("operator " + op.id() + " removed");
            }
            default -> throw new Usage("unknown operator sub-command '" + args.get(0) + "'");
        }
        return OK;
    }

    private int test(Options o, PrintStream out) throws IOException {
        String operator = o.required("--operator");
        String flow = mail.flowOf(operator);
        FlowTester.Report r = tester.test(flow, operator);
        if (o.json()) {
            ObjectNode n = JSON.createObjectNode().put("flow", flow).put("operator", operator).put("ok", r.ok());
            ArrayNode steps = n.putArray("steps");
            r.steps().forEach(s -> steps.addObject().put("name", s.name()).put("ok", s.ok()).put("ms", s.took()
                    .toMillis()).put("sentence", s.sentence()));
            out.println(JSON.writeValueAsString(n));
        } else {
            // a step's sentence may quote a server's reply
            r.steps().forEach(s -> out.println((s.ok() ? "OK     " : "FAILED ") + s.name() + " (" + s.took().toMillis()
                    + " ms): " + Printable.text(s.sentence())));
        }
        if (r.ok()) {
            return OK;
        }
        String last = r.steps().get(r.steps().size() - 1).sentence();
        for (ErrorCode c : ErrorCode.values()) {
            if (last.startsWith(c.name())) {
                return exitCode(c);
            }
        }
        return FAILURE;
    }

    private int outbox(List<String> args, PrintStream out, PrintStream err) throws IOException {
        if (args.isEmpty()) {
            throw new Usage("outbox needs a sub-command: list, retry");
        }
        Options o = new Options(args.subList(1, args.size()));
        switch (args.get(0)) {
            case "list" -> {
                // a sender that cannot go through the outbox: said on standard error, the list stays as it was
                for (OutboxSenders.Failing f : senders.failing()) {
                    err.println("SENDER_FAILING: the outbox sender of Envoi process " + f.pid() + " has failed "
                            + f.passes() + " pass(es) in a row since " + f.since() + " and tries again at "
                            + f.nextAttempt() + ": " + Printable.text(f.reason()));
                }
                List<OutboxEntry> entries = outbox.list(1000);
                if (o.json()) {
                    ArrayNode a = JSON.createArrayNode();
                    for (OutboxEntry e : entries) {
                        a.addObject().put("id", e.id()).put("messageId", e.messageId()).put("flow", e.flowId())
                                .put("operator", e.operatorId()).put("subject", e.subject()).put("state",
                                        e.state().name()).put("attempts", e.attempts()).put("lastReply",
                                                e.lastReply());
                    }
                    out.println(JSON.writeValueAsString(a));
                } else {
                    for (OutboxEntry e : entries) {
                        out.println(e.id() + "\t" + e.state() + "\t" + Printable.field(e.subject()) + "\t"
                                + Printable.field(e.lastReply()));
                    }
                }
            }
            case "retry" -> {
                return mail.retry(o, out, err);
            }
            default -> throw new Usage("unknown outbox sub-command '" + args.get(0) + "'");
        }
        return OK;
    }
}
