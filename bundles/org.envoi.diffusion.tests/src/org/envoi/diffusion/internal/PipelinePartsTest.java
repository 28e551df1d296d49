package org.envoi.diffusion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
    void fileNamesLoseFormatCharacters() {
        // "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf": the override must go, as must every invisible character
        assertEquals("invoicefdp.exe", FileNames.sanitize("invoice\u202Efdp.exe", "x.pdf"));
        assertEquals("BL_42.pdf", FileNames.sanitize("\uFEFFBL\u200B_\u200C4\u200D2\u200E\u200F.pdf", "x.pdf"));
        assertEquals("ab.pdf", FileNames.sanitize("a\u2066\u2067\u2068\u2069\u202A\u202B\u202C\u202D\u2060b.pdf",
                "x.pdf"));
        assertEquals("x.pdf", FileNames.sanitize("\u202E\u200B", "x.pdf"), "nothing visible left: the fallback");
        assertEquals("ab.pdf", FileNames.sanitize("a\uD800b.pdf", "x.pdf"), "a lone surrogate is no character");
    }

    @Test
    void windowsReservedNamesAreMadeOrdinary() {
        for (String reserved : List.of("CON", "con", "PRN", "AUX", "NUL", "nul", "COM1", "com9", "LPT1", "Lpt3",
                "COM\u00B9", "LPT\u00B3")) {
            assertEquals("_" + reserved, FileNames.sanitize(reserved, "x.pdf"), reserved);
            assertEquals("_" + reserved + ".pdf", FileNames.sanitize(reserved + ".pdf", "x.pdf"), reserved);
            assertEquals("_" + reserved + ".tar.gz", FileNames.sanitize(reserved + ".tar.gz", "x.pdf"), reserved);
        }
        // Windows drops trailing dots and spaces, so these are CON and NUL.pdf too
        assertEquals("_CON", FileNames.sanitize("CON. . ", "x.pdf"));
        assertEquals("_NUL .pdf", FileNames.sanitize("NUL .pdf", "x.pdf"));
        assertEquals("_NUL.pdf", FileNames.sanitize("NUL\u200B.pdf", "x.pdf"));
        // not reserved: a longer word, a digit past the range, the name inside another
        for (String fine : List.of("CONSOLE.pdf", "COM10.pdf", "NULL", "BL_CON.pdf", "LPT.pdf", "AUXILIAIRE")) {
            assertEquals(fine, FileNames.sanitize(fine, "x.pdf"));
        }
    }

    @Test
    void aCutNeverSplitsACharacterNorEndsInADotOrSpace() {
        // U+1F4C4 (a page) is two chars: a cut at 120 must not keep its first half alone
        String pages = "\uD83D\uDCC4".repeat(100);
        for (String name : List.of("a" + pages + ".pdf", pages + ".pdf", "a" + pages, pages)) {
            String cut = FileNames.sanitize(name, "x.pdf");
            assertTrue(cut.length() <= FileNames.MAX, cut.length() + " chars");
            for (int i = 0; i < cut.length(); i++) {
                char c = cut.charAt(i);
                assertFalse(Character.isHighSurrogate(c) && (i + 1 == cut.length()
                        || !Character.isLowSurrogate(cut.charAt(i + 1))), "half a character at " + i + " of " + name);
                assertFalse(Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(cut.charAt(i - 1))),
                        "half a character at " + i + " of " + name);
            }
            assertTrue(!name.endsWith(".pdf") || cut.endsWith("\uDCC4.pdf"), cut);
        }
        String spaced = "a".repeat(FileNames.MAX - 1) + " " + "b".repeat(20);
        String cut = FileNames.sanitize(spaced, "x.pdf");
        assertFalse(cut.endsWith(" ") || cut.endsWith("."), "[" + cut + "]");
        String dotted = "a".repeat(FileNames.MAX - 5) + ".... " + "b".repeat(20) + ".pdf";
        String cut2 = FileNames.sanitize(dotted, "x.pdf");
        assertEquals(FileNames.MAX, cut2.length(), cut2);
        assertTrue(cut2.endsWith(".pdf"), cut2);
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

    /** The seeded settings use [SOCIETE]: a data folder whose company has no name yet must learn where to give it. */
    @Test
    void aMissingCompanyNameSaysWhereToEnterIt() {
        EnvoiException e = assertThrows(EnvoiException.class, () -> Keywords.fill("[SOCIETE] - BL [ID_BL]",
                Map.of("ID_BL", "42"), Keywords.Target.SUBJECT, "subject of 'BL'"));
        assertEquals(ErrorCode.UNKNOWN_KEYWORD, e.code());
        assertTrue(e.getMessage().contains("the company's name, which is not set")
                && e.getMessage().contains("Operators and company")
                && e.getMessage().contains("envoi company set --name"), e.getMessage());
    }

    @Test
    void aValueIsMadeHarmlessForWhereItGoes() {
        Map<String, String> v = Map.of("X", "a\r\nBcc: x@y\t<b>&");
        assertEquals("S a Bcc: x@y <b>&", Keywords.fill("S [X]", v, Keywords.Target.SUBJECT, "subject"));
        assertEquals("<p>a\r\nBcc: x@y\t&lt;b&gt;&amp;</p>", Keywords.fill("<p>[X]</p>", v, Keywords.Target.HTML,
                "body"));
    }
}
