package org.envoi.api.diffusion;

import java.util.List;
import java.util.Optional;

import org.envoi.api.mail.Attachment;

/**
 * The operator's everyday action: "send this document to the customer". Resolves the operator's flow and the
 * diffusion's mail setting, fills the keywords from the document, adds footers, signature and logo, names the PDF,
 * checks the size limit, optionally keeps a copy, and hands the mail to the outbox.
 * <p>
 * Errors: {@code NO_FLOW_FOR_OPERATOR}, {@code MAIL_SETTING_NOT_FOUND}, {@code UNKNOWN_KEYWORD},
 * {@code ATTACHMENTS_TOO_BIG}, {@code INVALID_FLOW_DATA}; nothing is queued when one is thrown.
 */
public interface Diffusion {

    /** What was queued. */
    record Sent(long outboxId, String messageId, String from, String subject, Optional<String> documentName,
            Optional<Long> keptCopyId) {
    }

    /**
     * @param document the document: its code is the diffusion code, its fields fill the keywords
     * @param attachments the ERP's files; when empty and a {@link DocumentRenderer} is present, the document is
     *        rendered to a PDF. The first file is the document, named by the setting's file-name pattern.
     * @param operatorId the signed-in operator
     * @param to recipients
     * @param cc copies
     */
    Sent send(DocumentContext document, List<Attachment> attachments, String operatorId, List<String> to,
            List<String> cc);

    /**
     * A mail that is not one of the ERP's documents (the CLI's {@code send --subject --body}): the same pipeline —
     * the operator's flow, keywords from {@code fields}, footers and signature, size limit, outbox — with the given
     * subject and body; the files keep their own (sanitized) names and nothing is rendered.
     */
    Sent sendMessage(String subject, String body, java.util.Map<String, String> fields, List<Attachment> attachments,
            String operatorId, List<String> to, List<String> cc);

    /**
     * The keywords the ERP's documents carry, with sample values, in the order they are offered: what the settings
     * screen and {@code envoi setting set} preview and check a mail setting with ({@code [SOCIETE]} and
     * {@code [OPERATEUR]} come from the company and the operator).
     */
    java.util.Map<String, String> SAMPLE_FIELDS = sampleFields();

    private static java.util.Map<String, String> sampleFields() {
        java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("ID_BL", "BL-2026-0042");
        s.put("ID_FACTURE", "FA-2026-0107");
        s.put("ID_DEVIS", "DE-2026-0013");
        s.put("ID_COMMANDE", "CO-2026-0201");
        s.put("CLIENT", "Dupuis & Fils");
        s.put("DATE", "22/11/2026");
        return java.util.Collections.unmodifiableMap(s);
    }

    /** What a mail setting gives for sample values, as the settings screen previews it while it is edited. */
    record Preview(String subject, String body, boolean html, String documentName) {
    }

    /**
     * Fills a (possibly unsaved) mail setting with sample values, the operator's footer and signature and the
     * company's footer, exactly as {@link #send} would. @throws org.envoi.api.EnvoiException UNKNOWN_KEYWORD
     */
    Preview preview(org.envoi.api.flow.MailSetting setting, java.util.Map<String, String> sample,
            java.util.Optional<String> operatorId);
}
