package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.provider.TlsMode;
import org.junit.jupiter.api.Test;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

/** Messages as the ERP asks for them, built inside OSGi through the one class-loader helper. */
class MimeBuilderTest {

    private static OutgoingMail mail(String subject) {
        return new OutgoingMail("bl-4711.1@envoi", "ventes@example.com", List.of("client@example.org"), List.of(),
                List.of("ventes@example.com"), subject, "Bonjour,\nveuillez trouver le BL.", false,
                OutgoingMail.Priority.HIGH, Optional.of("ventes@example.com"),
                List.of(new Attachment("BL 4711.pdf", "application/pdf", "%PDF-1.7 test".getBytes())));
    }

    private static String render(OutgoingMail m) throws Exception {
        return MailClassLoader.call(() -> {
            MimeMessage msg = MimeBuilder.build(Session.getInstance(new Properties()), m);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            msg.writeTo(out);
            return out.toString(StandardCharsets.UTF_8);
        });
    }

    @Test
    void optionsBecomeHeadersAndTheMessageIdNeverChanges() throws Exception {
        String raw = render(mail("BL 4711"));
        assertTrue(raw.contains("Message-ID: <bl-4711.1@envoi>"), raw);
        assertTrue(raw.contains("X-Priority: 1 (Highest)") && raw.contains("Importance: high"), raw);
        assertTrue(raw.contains("Disposition-Notification-To: ventes@example.com"), raw);
        assertTrue(raw.contains("filename=\"BL 4711.pdf\"") && raw.contains("application/pdf"), raw);
        assertTrue(raw.contains("Bcc: ventes@example.com"), "copy to sender as a blind copy (SMTP strips the header)");
        assertEquals(raw.lines().filter(l -> l.startsWith("Message-ID")).toList(),
                render(mail("BL 4711")).lines().filter(l -> l.startsWith("Message-ID")).toList());
    }

    @Test
    void aLineBreakInTheSubjectCannotInjectHeaders() {
        assertThrows(MessagingException.class, () -> render(mail("BL\r\nBcc: victim@example.org")));
    }

    @Test
    void noSecretCrossesTheNetworkInClear() {
        EnvoiException e = assertThrows(EnvoiException.class, () -> SmtpSender.open(
                MailServer.of("smtp.example.com", 25, TlsMode.NONE),
                new MailLogin.Bearer("a@example.com", "token", MailLogin.Mechanism.XOAUTH2)));
        assertEquals(ErrorCode.INSECURE_CONNECTION, e.code());
        assertTrue(e.getMessage().contains("STARTTLS or TLS"), e.getMessage());
    }
}
