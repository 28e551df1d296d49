package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.MimeWriter;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.Test;

/** The registered {@link MimeWriter} writes what the SMTP transport sends: same headers, Bcc left out. */
class MimeWriterServiceTest {

    @Test
    void writesTheMailAsSmtpSendsItWithoutBcc() throws Exception {
        MimeWriter writer = OsgiServices.get(OsgiServices.context(getClass()), MimeWriter.class, null);
        OutgoingMail mail = new OutgoingMail("bl-4711.2@envoi", "ventes@example.com", List.of("client@example.org"),
                List.of("compta@example.org"), List.of("archive@example.com"), "BL 4711", "Bonjour", false,
                OutgoingMail.Priority.HIGH, Optional.empty(),
                List.of(new Attachment("BL 4711.pdf", "application/pdf", "%PDF-1.7 test".getBytes())));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(mail, out);
        String raw = out.toString(StandardCharsets.ISO_8859_1);
        String head = raw.substring(0, raw.indexOf("\r\n\r\n"));
        assertTrue(head.contains("Message-ID: <bl-4711.2@envoi>"), head);
        assertTrue(head.contains("To: client@example.org") && head.contains("Cc: compta@example.org"), head);
        assertTrue(head.contains("X-Priority: 1 (Highest)"), head);
        assertFalse(raw.contains("archive@example.com"), "Bcc is not written: " + head);
        assertTrue(raw.contains("filename=\"BL 4711.pdf\""), raw);
        assertEquals(-1, raw.replace("\r\n", "").indexOf('\n'), "CRLF line ends only, as on the wire");
    }
}
