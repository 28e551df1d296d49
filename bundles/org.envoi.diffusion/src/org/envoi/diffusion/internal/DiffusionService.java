package org.envoi.diffusion.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.DocumentRenderer;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.api.vault.TokenVault;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The document-sending pipeline ("diffusion"): from an ERP document to a mail in the outbox. */
@Component(service = Diffusion.class)
public final class DiffusionService implements Diffusion {

    /** The inline logo's content ID. */
    static final String LOGO_CID = "envoi-logo";

    private final OperatorRepository operators;
    private final FlowRepository flows;
    private final SettingsRepository settings;
    private final Outbox outbox;
    private final DocumentRenderer renderer;
    private final OutboxService sender;
    private final Clock clock;
    /** Large files and kept copies in a file store; null when no registry is at hand (unit tests). */
    private final FileLinks links;

    @Activate
    public DiffusionService(
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference FlowRepository flows,
            @Reference SettingsRepository settings, @Reference Outbox outbox,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            DocumentRenderer renderer,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            OutboxService sender, @Reference TransportRegistry transports, @Reference ProviderRegistry providers,
            @Reference TokenService tokens, @Reference TokenVault vault) {
        this(operators, flows, settings, outbox, renderer, sender, Clock.systemUTC(), new FileLinks(transports,
                (flow, operatorId, store) -> FlowClients.storeLogins(flow, operatorId, operators.operator(operatorId)
                        .map(Operator::email).orElse(""), store, transports, providers, tokens, vault)));
    }

    DiffusionService(OperatorRepository operators, FlowRepository flows, SettingsRepository settings, Outbox outbox,
            DocumentRenderer renderer, OutboxService sender, Clock clock) {
        this(operators, flows, settings, outbox, renderer, sender, clock, null);
    }

    private DiffusionService(OperatorRepository operators, FlowRepository flows, SettingsRepository settings,
            Outbox outbox, DocumentRenderer renderer, OutboxService sender, Clock clock, FileLinks links) {
        this.links = links;
        this.operators = operators;
        this.flows = flows;
        this.settings = settings;
        this.outbox = outbox;
        this.renderer = renderer;
        this.sender = sender;
        this.clock = clock;
    }

    @Override
    public Sent send(DocumentContext document, List<Attachment> attachments, String operatorId, List<String> to,
            List<String> cc) {
        String code = document.diffusionCode();
        MailSetting setting = settings.mailSetting(code).orElseThrow(() -> new EnvoiException(
                ErrorCode.MAIL_SETTING_NOT_FOUND, null, "There is no mail setting for the diffusion '" + code
                        + "': create it in the mail settings (subject, body, file name).", null));
        return send(setting, document, attachments, operatorId, to, cc);
    }

    @Override
    public Sent sendMessage(String subject, String body, Map<String, String> fields, List<Attachment> attachments,
            String operatorId, List<String> to, List<String> cc) {
        MailSetting adHoc = new MailSetting(AD_HOC, "message", subject, body, false, OutgoingMail.Priority.NORMAL,
                false, false, null, false, null, null);
        return send(adHoc, new DocumentContext(AD_HOC, fields, List.of()), attachments, operatorId, to, cc);
    }

    /** The diffusion code of a mail that is no ERP document: its files keep their names, nothing is rendered. */
    private static final String AD_HOC = "";

    private Sent send(MailSetting setting, DocumentContext document, List<Attachment> attachments, String operatorId,
            List<String> to, List<String> cc) {
        String code = setting.diffusionCode().isEmpty() ? "mail" : setting.diffusionCode();
        boolean adHoc = setting.diffusionCode().isEmpty();
        Operator operator = operators.operator(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "The operator '" + operatorId + "' is not known to Envoi: add"
                        + " the operator and attach them (or their group) to a flow.", null));
        String flowId = operators.flowOf(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "No flow is attached to operator '" + operatorId + "' (directly"
                        + " or through a group): ask the administrator to attach one.", null));
        Flow flow = flows.flow(flowId).orElseThrow(() -> new EnvoiException(ErrorCode.NO_FLOW_FOR_OPERATOR, null,
                "Operator '" + operatorId + "' is attached to flow '" + flowId + "', which no longer exists: ask the"
                        + " administrator to attach another.", null));
        if (to.isEmpty() && cc.isEmpty()) {
            throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The " + code + " has no recipient: give the"
                    + " customer's e-mail address.", null);
        }
        Company company = settings.company();
        Map<String, String> values = keywordValues(document, company, operator);

        Preview composed = compose(setting, values, operator, company, null);
        String subject = composed.subject();
        boolean html = composed.html();
        String body = composed.body();

        List<Attachment> files = new ArrayList<>();
        Optional<String> documentName = Optional.empty();
        List<Attachment> given = attachments;
        if (given.isEmpty() && renderer != null && !adHoc) {
            try {
                given = List.of(new Attachment("document.pdf", "application/pdf", renderer.render(
                        new DocumentContext(code, values, document.lines()))));
            } catch (IllegalArgumentException e) {
                throw new EnvoiException(ErrorCode.UNKNOWN_KEYWORD, null, "The " + code + " cannot be printed: "
                        + e.getMessage() + ".", e);
            }
        }
        for (int i = 0; i < given.size(); i++) {
            Attachment a = given.get(i);
            String name = i == 0 && !adHoc ? documentName(setting, values) : FileNames.sanitize(a.fileName(), "attachment-"
                    + (i + 1));
            if (i == 0 && !adHoc) {
                documentName = Optional.of(name);
            }
            files.add(new Attachment(name, a.mimeType(), a.content()));
        }
        long size = files.stream().mapToLong(Attachment::size).sum();
        Optional<Attachment> kept = files.isEmpty() || files.get(0).isInline() ? Optional.empty()
                : Optional.of(files.get(0));
        if (flow.attachmentLimitBytes() > 0 && size > flow.attachmentLimitBytes()) {
            Optional<FileStore> large = links == null ? Optional.empty() : links.store(flow, FileStore.LARGE_FILES);
            if (large.isEmpty()) {
                throw new EnvoiException(ErrorCode.ATTACHMENTS_TOO_BIG, null, "The attachments of this " + code
                        + " weigh " + mb(size) + "; the flow '" + flow.name() + "' allows " + mb(flow
                                .attachmentLimitBytes()) + ": send a lighter document, raise the flow's limit, or"
                        + " send large files as links (envoi flow set " + flow.id() + " --large-files onedrive).",
                        null);
            }
            // the files go to the store first: if that fails nothing is queued and the caller sends again
            body = FileLinks.withLinks(body, html, links.storeAndLink(flow, large.get(), operatorId, files));
            files.clear();
        }
        if (html && company.logo().isPresent()) {
            files.add(Attachment.inline("logo" + extension(company.logoMimeType()), company.logoMimeType(),
                    company.logo().get(), LOGO_CID));
        }
        String from = flow.genericAddress().orElse(operator.email());
        if (from.isBlank()) {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "email", "Operator '" + operatorId + "' has no"
                    + " e-mail address and the flow is not generic: set the operator's address.", null);
        }
        String messageId = UUID.randomUUID() + "@" + from.substring(from.indexOf('@') + 1);
        OutgoingMail mail;
        try {
            mail = new OutgoingMail(messageId, from, to, cc, setting.copyToSender() ? List.of(from) : List.of(),
                    subject, body, html, setting.priority(), setting.readReceipt() ? Optional.of(from)
                            : Optional.empty(), files);
        } catch (IllegalArgumentException e) {
            throw new EnvoiException(ErrorCode.MAIL_REJECTED, null, "The " + code + " cannot be written: "
                    + e.getMessage(), e);
        }
        Optional<Long> copy = Optional.empty();
        long id = outbox.enqueue(flow.id(), operatorId, mail);
        if (setting.keepCopy() && kept.isPresent()) {
            Attachment doc = kept.get();
            copy = Optional.of(settings.keepCopy(code, operatorId, messageId, doc.fileName(), setting.copyFileType(),
                    doc.content(), clock.instant()));
            keepInStore(flow, operatorId, doc, messageId);
        }
        if (sender != null) {
            sender.wake();
        }
        return new Sent(id, messageId, from, subject, documentName, copy);
    }

    /**
     * The flow also keeps copies in a file store: the mail is queued and the database holds the copy, so a store that
     * fails now is logged, not thrown (throwing would make the caller send the mail twice).
     */
    private void keepInStore(Flow flow, String operatorId, Attachment doc, String messageId) {
        if (links == null) {
            return;
        }
        try {
            links.store(flow, FileStore.KEEP_COPIES).ifPresent(store -> {
                FileStore.StoredFile f = links.keepCopy(flow, store, operatorId, doc);
                LOG.log(System.Logger.Level.INFO, "Envoi kept a copy of " + doc.fileName() + " (mail " + messageId
                        + ") in " + store.id() + ": " + f.webUrl());
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Envoi could not keep a copy of " + doc.fileName() + " (mail "
                    + messageId + ") in the flow's file store; the database keeps it: " + e.getMessage());
        }
    }

    private static final System.Logger LOG = System.getLogger(DiffusionService.class.getName());

    @Override
    public Preview preview(MailSetting setting, Map<String, String> sample, Optional<String> operatorId) {
        Operator operator = operatorId.flatMap(operators::operator).orElse(new Operator("preview", "Operator",
                "operator@example.com", Optional.empty(), Optional.empty(), "", ""));
        Company company = settings.company();
        Map<String, String> values = keywordValues(new DocumentContext(setting.diffusionCode(), sample, List.of()),
                company, operator);
        return compose(setting, values, operator, company, documentName(setting, values));
    }

    /** Subject and body of a setting filled with the values: one place for sending and previewing. */
    private static Preview compose(MailSetting setting, Map<String, String> values, Operator operator,
            Company company, String documentName) {
        String subject = Keywords.fill(setting.subject(), values, Keywords.Target.SUBJECT, "subject of '"
                + setting.diffusionCode() + "'");
        boolean html = setting.html() || company.logo().isPresent();
        return new Preview(subject, body(setting, values, operator, company, html), html, documentName);
    }

    /** The document's file name from the setting's pattern, sanitized. */
    private static String documentName(MailSetting setting, Map<String, String> values) {
        return FileNames.sanitize(Keywords.fill(setting.fileNamePattern(), values, Keywords.Target.FILE_NAME,
                "file name of '" + setting.diffusionCode() + "'"), "document.pdf");
    }

    /** The document's fields, plus the company's name as [SOCIETE] and the operator's as [OPERATEUR] if absent. */
    private static Map<String, String> keywordValues(DocumentContext document, Company company, Operator operator) {
        Map<String, String> values = new java.util.HashMap<>(document.fields());
        if (!company.name().isEmpty()) {
            values.putIfAbsent(Keywords.COMPANY, company.name());
        }
        values.putIfAbsent("OPERATEUR", operator.name());
        return values;
    }

    /** Body, then the operator's footer, the signature (operator's, else the diffusion's), the company's footer, logo. */
    private static String body(MailSetting setting, Map<String, String> values, Operator operator, Company company,
            boolean html) {
        String where = "body of '" + setting.diffusionCode() + "'";
        String signature = !operator.signature().isBlank() ? operator.signature() : setting.signature();
        List<String> closing = new ArrayList<>();
        for (String part : List.of(operator.footer(), signature, company.footer())) {
            if (!part.isBlank()) {
                closing.add(part);
            }
        }
        if (!html) {
            StringBuilder b = new StringBuilder(Keywords.fill(setting.body(), values, Keywords.Target.TEXT, where));
            closing.forEach(c -> b.append("\n\n").append(c));
            return b.toString();
        }
        String main = setting.html() ? Keywords.fill(setting.body(), values, Keywords.Target.HTML, where)
                : Keywords.textAsHtml(Keywords.fill(setting.body(), values, Keywords.Target.TEXT, where));
        StringBuilder b = new StringBuilder("<html><body>\n<div>").append(main).append("</div>\n");
        closing.forEach(c -> b.append("<p>").append(Keywords.textAsHtml(c)).append("</p>\n"));
        if (company.logo().isPresent()) {
            b.append("<p><img src=\"cid:").append(LOGO_CID).append("\" alt=\"").append(Keywords.html(company.name()))
                    .append("\"></p>\n");
        }
        return b.append("</body></html>\n").toString();
    }

    private static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }

    private static String extension(String mime) {
        return switch (mime) {
            case "image/jpeg" -> ".jpg";
            case "image/gif" -> ".gif";
            default -> ".png";
        };
    }
}
