package org.envoi.api.flow;

import java.util.Objects;

import org.envoi.api.mail.OutgoingMail.Priority;

/**
 * How the mail of one kind of document is written. Subject, body and file-name pattern hold keywords such as
 * {@code [SOCIETE]} or {@code [ID_BL]}, replaced from the document's fields.
 *
 * @param diffusionCode the ERP's name for the document: {@code BL}, {@code FACTURE CLIENT}...
 * @param label what the administrator reads
 * @param subject subject with keywords
 * @param body body with keywords (HTML when {@code html})
 * @param html whether the body is HTML
 * @param priority the mail's priority
 * @param readReceipt ask for a read receipt (to the sender)
 * @param copyToSender Bcc the sender
 * @param fileNamePattern the attachment's name with keywords, e.g. {@code BL_[ID_BL].pdf}
 * @param keepCopy keep a copy of the sent document
 * @param copyFileType the file type of the kept copy, e.g. {@code pdf}
 * @param signature the diffusion's signature, used when the operator has none
 */
public record MailSetting(String diffusionCode, String label, String subject, String body, boolean html,
        Priority priority, boolean readReceipt, boolean copyToSender, String fileNamePattern, boolean keepCopy,
        String copyFileType, String signature) {

    public MailSetting {
        Objects.requireNonNull(diffusionCode, "diffusionCode");
        label = label == null ? diffusionCode : label;
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(priority, "priority");
        fileNamePattern = fileNamePattern == null || fileNamePattern.isBlank() ? "document.pdf" : fileNamePattern;
        copyFileType = copyFileType == null || copyFileType.isBlank() ? "pdf" : copyFileType;
        signature = signature == null ? "" : signature;
    }
}
