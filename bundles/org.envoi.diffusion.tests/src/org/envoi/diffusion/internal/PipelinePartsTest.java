package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.junit.jupiter.api.Test;

/** File names and keywords: what the pipeline does with the ERP's values. */
class PipelinePartsTest {

    @Test
    void fileNamesLoseSeparatorsControlsAndLeadingDotsAndKeepTheirExtensionWhenCut() {
        assertEquals("_.._etc_passwd.pdf", FileNames.sanitize("/../etc/passwd.pdf", "x.pdf"));
        assertEquals("C__Windows_evil.pdf", FileNames.sanitize("C:\\Windows\\evil.pdf", "x.pdf"));
        assertEquals("hidden.pdf", FileNames.sanitize("...hidden.pdf", "x.pdf"));
        assertEquals("a b.pdf", FileNames.sanitize("a\u0000\r\nb.pdf", "x.pdf"));
        assertEquals("x.pdf", FileNames.sanitize("///", "x.pdf"));
        String cut = FileNames.sanitize("F".repeat(300) + ".pdf", "x.pdf");
        assertEquals(FileNames.MAX, cut.length());
        assertTrue(cut.endsWith("F.pdf"), cut);
        assertEquals("Facture_été 2026.pdf", FileNames.sanitize("Facture_été 2026.pdf", "x.pdf"));
    }

    @Test
    void keywordsAreFilledAndAnUnknownOneStopsTheMail() {
        Map<String, String> v = Map.of("SOCIETE", "ACME", "ID_BL", "42");
        assertEquals("ACME - BL 42 [not a keyword", Keywords.fill("[SOCIETE] - BL [ID_BL] [not a keyword", v,
                Keywords.Target.TEXT, "subject"));
        EnvoiException e = assertThrows(EnvoiException.class, () -> Keywords.fill("BL [ID_FACTURE]", v,
                Keywords.Target.SUBJECT, "subject of 'BL'"));
        assertEquals(ErrorCode.UNKNOWN_KEYWORD, e.code());
        assertTrue(e.getMessage().contains("[ID_FACTURE]") && e.getMessage().contains("[ID_BL]"), e.getMessage());
    }

    @Test
    void aValueIsMadeHarmlessForWhereItGoes() {
        Map<String, String> v = Map.of("X", "a\r\nBcc: x@y\t<b>&");
        assertEquals("S a Bcc: x@y <b>&", Keywords.fill("S [X]", v, Keywords.Target.SUBJECT, "subject"));
        assertEquals("<p>a\r\nBcc: x@y\t&lt;b&gt;&amp;</p>", Keywords.fill("<p>[X]</p>", v, Keywords.Target.HTML,
                "body"));
    }
}
