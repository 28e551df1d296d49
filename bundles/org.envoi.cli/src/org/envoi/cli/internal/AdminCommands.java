package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import javax.imageio.ImageIO;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail.Priority;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Administration without a screen (issue 18.6): {@code flow set}, {@code company}, {@code setting} edit what the
 * desktop's Flows, company and Mail settings screens edit, through the same services and checks. Every option is
 * read and checked before anything is written, so a refused command changes nothing. An option given an empty value
 * ({@code --generic ""}) takes an optional field away; {@code --no-FLAG} turns a setting's flag off.
 */
final class AdminCommands {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What {@code flow set} takes besides the transport options: every field {@code flow add} takes, and more. */
    private static final Set<String> FLOW_FIELDS = Set.of("--name", "--tenant", "--client-id", "--redirect-uri",
            "--scopes", "--consent", "--auth-url", "--token-url", "--device-url", "--smtp", "--smtp-security",
            "--imap", "--imap-security", "--pop", "--pop-security", "--attachment-limit-mb", "--generic",
            "--username", "--secret-expiry");
    private static final Set<String> SECRET_FLAGS = Set.of("--client-secret-stdin", "--password-stdin");
    /** The flags of {@code setting set}, each with its {@code --no-} form. */
    private static final List<String> SETTING_FLAGS = List.of("--html", "--read-receipt", "--copy-to-sender",
            "--keep-copy");

    private final FlowAdmin admin;
    private final FlowRepository flows;
    private final TransportOptions transports;
    private final SettingsRepository settings;
    private final Diffusion diffusion;

    AdminCommands(FlowAdmin admin, FlowRepository flows, TransportOptions transports, SettingsRepository settings,
            Diffusion diffusion) {
        this.admin = admin;
        this.flows = flows;
        this.transports = transports;
        this.settings = settings;
        this.diffusion = diffusion;
    }

    // ---------------------------------------------------------------- flow set

    /**
     * {@code flow set ID ...}: the stored flow with the fields given, saved through {@link FlowAdmin} as the desktop's
     * editor saves it (the same checks; another client ID or token endpoint leaves the sign-ins and the secret bound
     * to the previous one). The secret comes from standard input only.
     */
    int flowSet(List<String> args, PrintStream out, BufferedReader in) throws IOException {
        Cli.Options o = new Cli.Options(args);
        for (String fixed : List.of("--provider", "--type")) {
            if (o.values.containsKey(fixed)) {
                throw new Cli.Usage("flow set does not change a flow's " + fixed.substring(2) + " (its secret and"
                        + " sign-ins belong to it): envoi flow remove ID, then envoi flow add ID " + fixed + " ...");
            }
        }
        Set<String> allowed = new TreeSet<>(FLOW_FIELDS);
        allowed.addAll(TransportOptions.OPTIONS);
        only(o, "flow set", allowed, SECRET_FLAGS);
        String id = single(o, "the flow ID");
        Flow before = flows.flow(id).orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "id",
                "There is no flow '" + id + "': envoi flow list shows them.", null));
        Flow after = transports.change(edited(before, o), o);
        Optional<String> secret = Optional.empty();
        if (o.flags.stream().anyMatch(SECRET_FLAGS::contains)) {
            String line = in.readLine();
            secret = Optional.ofNullable(line).map(String::strip).filter(s -> !s.isEmpty());
            if (secret.isEmpty()) {
                throw new Cli.Usage("the secret was expected on standard input and none came");
            }
        }
        admin.save(after, secret); // validates first: a refused flow writes nothing, neither flow nor vault
        out.println("flow " + id + " saved: transport " + after.transport() + transports.summary(after));
        return Cli.OK;
    }

    /** {@code before} with the fields the options give; the others as they were. */
    private static Flow edited(Flow before, Cli.Options o) {
        ProviderFields p = before.oauth();
        List<String> scopes = given(o, "--scopes").map(s -> s.isBlank() ? List.<String>of() : List.of(s.strip()
                .split("\\s+"))).orElse(p.scopes());
        ConsentHost consent = given(o, "--consent").map(v -> Cli.enumOf(ConsentHost.class, "--consent", v)).orElse(p
                .consentHost());
        ProviderFields oauth = new ProviderFields(text(o, "--tenant", p.tenant()), text(o, "--client-id",
                p.clientId()), text(o, "--redirect-uri", p.redirectUri()), scopes, consent, p.appOnly());
        long limit = given(o, "--attachment-limit-mb").map(v -> {
            try {
                return Long.parseLong(v.strip()) * 1024 * 1024;
            } catch (NumberFormatException e) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "attachmentLimit", "--attachment-limit-mb '"
                        + v + "' is not a whole number of MB.", null);
            }
        }).orElse(before.attachmentLimitBytes());
        Optional<LocalDate> expiry = given(o, "--secret-expiry").map(v -> {
            try {
                return v.isBlank() ? Optional.<LocalDate>empty() : Optional.of(LocalDate.parse(v.strip()));
            } catch (DateTimeParseException e) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "secretExpiry", "--secret-expiry '" + v
                        + "' is not a date: write it as YYYY-MM-DD, the day the provider shows for the secret.", null);
            }
        }).orElse(before.secretExpiry());
        return new Flow(before.id(), text(o, "--name", before.name()), before.type(), before.providerId(), oauth,
                uri(o, "--auth-url", "authorizationUri", before.authorizationUri()), uri(o, "--token-url", "tokenUri",
                        before.tokenUri()), uri(o, "--device-url", "deviceUri", before.deviceUri()), server(o,
                                "smtp", before.smtp()), server(o, "imap", before.imap()), server(o, "pop", before
                                        .pop()), text(o, "--username", before.username()), given(o, "--generic").map(
                                                String::strip).map(g -> g.isEmpty() ? Optional.<String>empty()
                                                        : Optional.of(g)).orElse(before.genericAddress()), limit,
                expiry, before.transport(), before.settings());
    }

    /**
     * The server {@code --smtp}/{@code --imap}/{@code --pop} and its {@code -security} give: a new address keeps the
     * server's security unless given, a security alone changes only it, an empty address takes the server away. The
     * server's timeout and trusted certificates stay.
     */
    private static Optional<MailServer> server(Cli.Options o, String which, Optional<MailServer> current) {
        Optional<String> address = given(o, "--" + which);
        boolean security = given(o, "--" + which + "-security").isPresent();
        if (address.isEmpty() && !security) {
            return current;
        }
        if (address.isPresent() && address.get().isBlank()) {
            return Optional.empty();
        }
        if (address.isEmpty() && current.isEmpty()) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, which, "The flow has no " + which.toUpperCase(
                    Locale.ROOT) + " server to secure: give it with --" + which + " HOST:PORT.", null);
        }
        return Cli.server(o, which, current.map(MailServer::endpoint)).map(s -> current.map(c -> new MailServer(s
                .endpoint(), c.timeout(), c.trustedCertificates())).orElse(s));
    }

    private static Optional<URI> uri(Cli.Options o, String option, String field, Optional<URI> current) {
        Optional<String> v = given(o, option);
        if (v.isEmpty()) {
            return current;
        }
        if (v.get().isBlank()) {
            return Optional.empty(); // a provider's flow goes back to its preset's endpoint
        }
        try {
            return Optional.of(new URI(v.get().strip()));
        } catch (URISyntaxException e) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, field, option + " '" + v.get() + "' is not a URL: "
                    + e.getReason() + ".", null);
        }
    }

    private static String text(Cli.Options o, String option, String current) {
        return given(o, option).map(String::strip).orElse(current);
    }

    /** The option's last value as given, even empty (which takes an optional field away). */
    private static Optional<String> given(Cli.Options o, String option) {
        List<String> all = o.values.getOrDefault(option, List.of());
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    // ---------------------------------------------------------------- company

    /** {@code company set|show}: the company's name, footer and logo, as the desktop's company screen edits them. */
    int company(List<String> args, PrintStream out) throws IOException {
        if (args.isEmpty()) {
            throw new Cli.Usage("company needs a sub-command: set, show");
        }
        Cli.Options o = new Cli.Options(args.subList(1, args.size()));
        switch (args.get(0)) {
            case "set" -> {
                only(o, "company set", Set.of("--name", "--footer-file", "--logo"), Set.of());
                none(o);
                if (o.values.isEmpty()) {
                    throw new Cli.Usage("company set needs --name, --footer-file or --logo");
                }
                Company old = settings.company();
                // every file read and checked before the company is written
                String name = given(o, "--name").map(String::strip).orElse(old.name());
                String footer = given(o, "--footer-file").map(f -> f.isBlank() ? "" : readText("--footer-file", f))
                        .orElse(old.footer());
                Optional<byte[]> logo = old.logo();
                String type = old.logoMimeType();
                Optional<String> logoFile = given(o, "--logo");
                if (logoFile.isPresent() && logoFile.get().isBlank()) {
                    logo = Optional.empty();
                } else if (logoFile.isPresent()) {
                    byte[] image = readBytes("--logo", logoFile.get());
                    type = imageType("--logo", logoFile.get(), image);
                    logo = Optional.of(image);
                }
                settings.save(new Company(name, footer, logo, type));
                out.println("company saved: " + Printable.field(name) + (logo.isPresent() ? ", logo " + type : ", no"
                        + " logo"));
            }
            case "show" -> {
                only(o, "company show", Set.of(), Set.of("--json"));
                none(o);
                Company c = settings.company();
                if (o.json()) {
                    ObjectNode n = JSON.createObjectNode().put("name", c.name()).put("footer", c.footer());
                    c.logo().ifPresent(l -> n.putObject("logo").put("type", c.logoMimeType()).put("bytes", l.length));
                    out.println(JSON.writeValueAsString(n));
                } else {
                    out.println("name\t" + Printable.field(c.name()));
                    out.println("logo\t" + c.logo().map(l -> c.logoMimeType() + ", " + l.length + " bytes").orElse(
                            "-"));
                    out.println("footer\t" + Printable.field(c.footer()));
                }
            }
            default -> throw new Cli.Usage("unknown company sub-command '" + args.get(0) + "'");
        }
        return Cli.OK;
    }

    /**
     * The MIME type of a PNG, JPEG or GIF image that decodes whole (mail clients show these inline); anything else is
     * refused naming the option.
     */
    private static String imageType(String option, String file, byte[] b) {
        String type = startsWith(b, 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a) ? "image/png"
                : startsWith(b, 0xff, 0xd8, 0xff) ? "image/jpeg" : startsWith(b, 'G', 'I', 'F', '8') ? "image/gif"
                        : null;
        boolean whole;
        try {
            whole = type != null && ImageIO.read(new ByteArrayInputStream(b)) != null;
        } catch (IOException | RuntimeException e) {
            whole = false; // cut short or damaged: a mail would carry a broken picture
        }
        if (!whole) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + " " + file + " is not a PNG, JPEG or"
                    + " GIF image" + (type == null ? "" : " that can be read (it is damaged or cut short)")
                    + ": give the logo as one of those.", null);
        }
        return type;
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- setting

    /** {@code setting list|show|set}: the mail settings per diffusion code, as the desktop's settings screen edits them. */
    int setting(List<String> args, PrintStream out) throws IOException {
        if (args.isEmpty()) {
            throw new Cli.Usage("setting needs a sub-command: list, show, set");
        }
        List<String> rest = new ArrayList<>(args.subList(1, args.size()));
        // the flags are taken out first: Options would read the next word as their value
        List<String> flags = new ArrayList<>();
        rest.removeIf(a -> {
            boolean flag = SETTING_FLAGS.contains(a) || SETTING_FLAGS.contains(a.replaceFirst("^--no-", "--"));
            if (flag) {
                flags.add(a);
            }
            return flag;
        });
        Cli.Options o = new Cli.Options(rest);
        if (!args.get(0).equals("set") && !flags.isEmpty()) {
            throw new Cli.Usage("setting " + args.get(0) + " has no option " + flags.get(0));
        }
        switch (args.get(0)) {
            case "list" -> {
                only(o, "setting list", Set.of(), Set.of("--json"));
                none(o);
                if (o.json()) {
                    ArrayNode a = JSON.createArrayNode();
                    settings.mailSettings().forEach(s -> a.add(json(s)));
                    out.println(JSON.writeValueAsString(a));
                } else {
                    for (MailSetting s : settings.mailSettings()) {
                        out.println(Printable.field(s.diffusionCode()) + "\t" + lower(s.priority()) + "\t"
                                + Printable.field(s.subject()));
                    }
                }
            }
            case "show" -> {
                only(o, "setting show", Set.of(), Set.of("--json"));
                MailSetting s = known(single(o, "the diffusion code"));
                if (o.json()) {
                    out.println(JSON.writeValueAsString(json(s)));
                } else {
                    out.println("code\t" + Printable.field(s.diffusionCode()));
                    out.println("label\t" + Printable.field(s.label()));
                    out.println("subject\t" + Printable.field(s.subject()));
                    out.println("file-name\t" + Printable.field(s.fileNamePattern()));
                    out.println("priority\t" + lower(s.priority()));
                    out.println("html\t" + s.html());
                    out.println("read-receipt\t" + s.readReceipt());
                    out.println("copy-to-sender\t" + s.copyToSender());
                    out.println("keep-copy\t" + s.keepCopy());
                    out.println("body\t" + Printable.field(s.body()));
                }
            }
            case "set" -> {
                only(o, "setting set", Set.of("--subject", "--body-file", "--file-name", "--priority"), Set.of());
                MailSetting s = known(single(o, "the diffusion code"));
                if (o.values.isEmpty() && flags.isEmpty()) {
                    throw new Cli.Usage("setting set needs at least one of --subject, --body-file, --file-name,"
                            + " --priority, " + String.join(", ", SETTING_FLAGS) + " (or their --no- forms)");
                }
                Map<String, Boolean> on = new LinkedHashMap<>();
                for (String f : flags) {
                    String name = f.replaceFirst("^--no-", "--");
                    Boolean before = on.put(name, !f.startsWith("--no-"));
                    if (before != null && before != !f.startsWith("--no-")) {
                        throw new Cli.Usage(name + " and --no-" + name.substring(2) + " contradict each other");
                    }
                }
                Priority priority = given(o, "--priority").map(p -> {
                    try {
                        return Priority.valueOf(p.strip().toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new EnvoiException(ErrorCode.INVALID_INPUT, "--priority", "--priority '" + p
                                + "' is not one of high, normal, low.", null);
                    }
                }).orElse(s.priority());
                MailSetting after = new MailSetting(s.diffusionCode(), s.label(), given(o, "--subject").orElse(s
                        .subject()), given(o, "--body-file").map(f -> readText("--body-file", f)).orElse(s.body()),
                        on.getOrDefault("--html", s.html()), priority, on.getOrDefault("--read-receipt", s
                                .readReceipt()), on.getOrDefault("--copy-to-sender", s.copyToSender()), given(o,
                                        "--file-name").orElse(s.fileNamePattern()), on.getOrDefault("--keep-copy", s
                                                .keepCopy()), s.copyFileType(), s.signature());
                keywordsKnown(after);
                settings.save(after);
                out.println("setting " + Printable.field(after.diffusionCode()) + " saved");
            }
            default -> throw new Cli.Usage("unknown setting sub-command '" + args.get(0) + "'");
        }
        return Cli.OK;
    }

    private MailSetting known(String code) {
        return settings.mailSetting(code).orElseThrow(() -> new EnvoiException(ErrorCode.MAIL_SETTING_NOT_FOUND,
                "code", "There is no mail setting '" + code + "': envoi setting list shows them.", null));
    }

    /**
     * The check the settings screen makes before it saves: the setting filled with the documents' sample keywords by
     * the pipeline itself. Each of subject, body and file name alone, so that the error names its option.
     */
    private void keywordsKnown(MailSetting s) {
        Map<String, String> sample = new LinkedHashMap<>(Diffusion.SAMPLE_FIELDS);
        sample.putIfAbsent("SOCIETE", "Company"); // the company's name, known even before it is set
        String code = s.diffusionCode();
        known("--subject", new MailSetting(code, s.label(), s.subject(), "", false, s.priority(), false, false,
                "document.pdf", false, s.copyFileType(), ""), sample);
        known("--body-file", new MailSetting(code, s.label(), "", s.body(), s.html(), s.priority(), false, false,
                "document.pdf", false, s.copyFileType(), ""), sample);
        known("--file-name", new MailSetting(code, s.label(), "", "", false, s.priority(), false, false, s
                .fileNamePattern(), false, s.copyFileType(), ""), sample);
    }

    private void known(String option, MailSetting part, Map<String, String> sample) {
        try {
            diffusion.preview(part, sample, Optional.empty());
        } catch (EnvoiException e) {
            if (e.code() != ErrorCode.UNKNOWN_KEYWORD) {
                throw e;
            }
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode json(MailSetting s) {
        return JSON.createObjectNode().put("code", s.diffusionCode()).put("label", s.label()).put("subject", s
                .subject()).put("body", s.body()).put("html", s.html()).put("fileName", s.fileNamePattern()).put(
                        "priority", lower(s.priority())).put("readReceipt", s.readReceipt()).put("copyToSender", s
                                .copyToSender()).put("keepCopy", s.keepCopy());
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- shared

    /** A misspelt option is a usage error, never silently ignored. */
    private static void only(Cli.Options o, String command, Set<String> values, Set<String> flags) {
        for (String option : o.values.keySet()) {
            if (!values.contains(option)) {
                throw new Cli.Usage(command + " has no option " + option);
            }
        }
        for (String flag : o.flags) {
            if (!flags.contains(flag)) {
                throw new Cli.Usage(command + " has no option " + flag);
            }
        }
    }

    private static String single(Cli.Options o, String what) {
        String v = o.arg(0, what);
        if (o.positional.size() > 1) {
            throw new Cli.Usage("one " + what + " only; '" + o.positional.get(1) + "' is one too many (quote a"
                    + " value with spaces)");
        }
        return v;
    }

    private static void none(Cli.Options o) {
        if (!o.positional.isEmpty()) {
            throw new Cli.Usage("'" + o.positional.get(0) + "' is not an option");
        }
    }

    /** A text file the option names, as UTF-8; unreadable or not UTF-8 is INVALID_INPUT naming the option. */
    private static String readText(String option, String file) {
        byte[] bytes = readBytes(option, file);
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text; // a byte order mark is no text
        } catch (CharacterCodingException e) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + " " + file + " is not UTF-8 text:"
                    + " save it as UTF-8 and give it again.", null);
        }
    }

    private static byte[] readBytes(String option, String file) {
        try {
            Path p = Path.of(file);
            if (Files.isDirectory(p)) {
                throw new IOException("it is a folder");
            }
            return Files.readAllBytes(p);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof NoSuchFileException ? "there is no such file"
                    : e instanceof AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, option + " " + file + " cannot be read ("
                    + why + "): check the path.", null);
        }
    }
}
