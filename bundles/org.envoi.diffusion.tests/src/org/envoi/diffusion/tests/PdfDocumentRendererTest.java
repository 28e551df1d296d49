package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.DocumentContext.Line;
import org.envoi.diffusion.internal.PdfDocumentRenderer;
import org.junit.jupiter.api.Test;

/** The PDFBox document renderer, read back with PDFBox's own text extraction. */
class PdfDocumentRendererTest {

    private final PdfDocumentRenderer renderer = new PdfDocumentRenderer();

    private static String text(byte[] pdf) throws IOException {
        try (PDDocument document = Loader.loadPDF(pdf)) {
            return new PDFTextStripper().getText(document);
        }
    }

    private static void assertContains(String text, String... expected) {
        for (String part : expected) {
            assertTrue(text.contains(part), () -> "'" + part + "' expected in:\n" + text);
        }
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    @Test
    void aDeliveryNoteShowsItsHeaderAndEveryLine() throws Exception {
        byte[] pdf = renderer.render(new DocumentContext("BL",
                Map.of("SOCIETE", "Menuiserie Lef\u00e8vre", "ID_BL", "BL-2026-0042", "DATE", "22/11/2026",
                        "CLIENT", "Dupuis & Fils", "ADRESSE_CLIENT", "3 rue des Lilas\n69003 Lyon"),
                List.of(new Line("A-100", "Palette de vis inox", new BigDecimal("3"), null),
                        new Line("B-220", "\u00c9crous M8 \u00e0 t\u00eate \u00e9vas\u00e9e", new BigDecimal("150"),
                                null),
                        new Line(null, "Fa\u00e7ade ch\u00eane", new BigDecimal("2.5"), null))));

        assertEquals("%PDF", new String(pdf, 0, 4, StandardCharsets.US_ASCII));
        String text = text(pdf);
        assertContains(text, "Menuiserie Lef\u00e8vre", "Bon de livraison", "BL-2026-0042", "22/11/2026",
                "Dupuis & Fils", "3 rue des Lilas", "69003 Lyon", "R\u00e9f.", "D\u00e9signation",
                "Quantit\u00e9", "Palette de vis inox", "\u00c9crous M8 \u00e0 t\u00eate \u00e9vas\u00e9e", "150",
                "Fa\u00e7ade ch\u00eane", "2,5", "Page 1 / 1");
        assertFalse(text.contains("Prix unitaire") || text.contains("Total HT"), "a delivery note has no prices");
        try (PDDocument document = Loader.loadPDF(pdf)) {
            assertEquals(1, document.getNumberOfPages());
            assertEquals("Bon de livraison BL-2026-0042", document.getDocumentInformation().getTitle());
            assertEquals("Envoi", document.getDocumentInformation().getProducer());
        }
    }

    @Test
    void anInvoiceComputesItsAmountsAndTotal() throws Exception {
        String text = text(renderer.render(new DocumentContext("FACTURE CLIENT",
                Map.of("SOCIETE", "ACME", "ID_FACTURE", "FA-7", "CLIENT", "Martin"),
                List.of(new Line("X", "Conseil", new BigDecimal("2.5"), new BigDecimal("480")),
                        new Line("Y", "Frais de d\u00e9placement", new BigDecimal("1"), new BigDecimal("34.5")),
                        new Line("Z", "Remise commerciale", new BigDecimal("3"), new BigDecimal("-0.333"))))));

        assertContains(text, "Facture", "FA-7", "Prix unitaire", "Montant", "480,00", "1 200,00", "34,50",
                "-0,333", "-1,00", "Total HT", "1 233,50");
    }

    @Test
    void aCreditNoteAndAQuoteUseTheirOwnNumberField() throws Exception {
        assertContains(text(renderer.render(new DocumentContext("AVOIR CLIENT",
                Map.of("SOCIETE", "ACME", "ID_FACTURE", "AV-3"), List.of()))), "Avoir", "AV-3");
        assertContains(text(renderer.render(new DocumentContext("DEVIS CLIENT",
                Map.of("SOCIETE", "ACME", "ID_DEVIS", "DV-9"), List.of()))), "Devis", "DV-9");
        assertContains(text(renderer.render(new DocumentContext("RELANCE",
                Map.of("SOCIETE", "ACME", "ID", "R-1"), List.of()))), "RELANCE", "R-1");
    }

    @Test
    void manyLinesContinueOnNumberedPagesWithTheTableHeaderRepeated() throws Exception {
        List<Line> lines = new ArrayList<>();
        for (int i = 1; i <= 120; i++) {
            lines.add(new Line("R" + i, "Article " + i, BigDecimal.valueOf(i), BigDecimal.ONE));
        }
        byte[] pdf = renderer.render(new DocumentContext("FACTURE CLIENT",
                Map.of("SOCIETE", "ACME", "ID_FACTURE", "FA-120"), lines));

        try (PDDocument document = Loader.loadPDF(pdf)) {
            int pages = document.getNumberOfPages();
            assertTrue(pages >= 3, "pages: " + pages);
            String text = new PDFTextStripper().getText(document);
            for (int page = 1; page <= pages; page++) {
                assertContains(text, "Page " + page + " / " + pages);
            }
            assertEquals(pages, occurrences(text, "D\u00e9signation"), "the table header on every page");
            for (int i = 1; i <= 120; i++) {
                assertContains(text, "R" + i + " Article " + i + " " + i + " 1,00 " + i + ",00");
            }
            assertContains(text, "7 260,00");

            PDFTextStripper lastPage = new PDFTextStripper();
            lastPage.setStartPage(pages);
            lastPage.setEndPage(pages);
            assertContains(lastPage.getText(document), "Article 120", "Total HT");
        }
    }

    @Test
    void longTextsStayInsideThePage() throws Exception {
        String word = "Interminable".repeat(40);
        byte[] pdf = renderer.render(new DocumentContext("FACTURE CLIENT",
                Map.of("SOCIETE", "Soci\u00e9t\u00e9 " + word, "ID_FACTURE", "FA-" + word, "CLIENT", word,
                        "ADRESSE_CLIENT", word + "\n" + word),
                List.of(new Line("REF-" + word, "D\u00e9but " + word + " fin", new BigDecimal("123456789.5"),
                        new BigDecimal("987654.321")))));

        try (PDDocument document = Loader.loadPDF(pdf)) {
            float width = document.getPage(0).getMediaBox().getWidth();
            float[] extremes = { Float.MAX_VALUE, 0 };
            PDFTextStripper measure = new PDFTextStripper() {
                @Override
                protected void writeString(String text, List<TextPosition> positions) throws IOException {
                    for (TextPosition position : positions) {
                        extremes[0] = Math.min(extremes[0], position.getXDirAdj());
                        extremes[1] = Math.max(extremes[1], position.getXDirAdj() + position.getWidthDirAdj());
                    }
                    super.writeString(text, positions);
                }
            };
            String text = measure.getText(document);
            assertTrue(extremes[0] >= 40 && extremes[1] <= width - 40,
                    "text from " + extremes[0] + " to " + extremes[1] + " on a page " + width + " wide");
            assertContains(text, "REF-Intermina\u2026", "D\u00e9but", "Total HT 121 932 631 606 462,43");
            assertTrue(text.matches("(?s).*\u2026\\R+Total HT.*"), "the label ends with an ellipsis:\n" + text);
            assertFalse(text.contains(" fin"), "the label is cut after three lines");
        }
    }

    @Test
    void aMissingNumberOrCompanyIsNamed() {
        IllegalArgumentException noNumber = assertThrows(IllegalArgumentException.class,
                () -> renderer.render(new DocumentContext("BL", Map.of("SOCIETE", "ACME", "ID_FACTURE", "FA-1"),
                        List.of())));
        assertTrue(noNumber.getMessage().contains("ID_BL"), noNumber.getMessage());
        assertTrue(noNumber.getMessage().contains("delivery note number"), noNumber.getMessage());

        IllegalArgumentException blankCompany = assertThrows(IllegalArgumentException.class,
                () -> renderer.render(new DocumentContext("FACTURE CLIENT",
                        Map.of("SOCIETE", "  ", "ID_FACTURE", "FA-1"), List.of())));
        assertTrue(blankCompany.getMessage().contains("SOCIETE"), blankCompany.getMessage());
    }

    @Test
    void charactersTheFontCannotShowBecomeQuestionMarks() throws Exception {
        byte[] pdf = renderer.render(new DocumentContext("BL",
                Map.of("SOCIETE", "ACME \u6570\u636e \ud83d\ude80", "ID_BL", "BL\t7", "CLIENT",
                        "Z\u00fcrich 20 \u20ac"),
                List.of(new Line("\u0000R1", "Caf\u0065\u0301 \u6570\u636e \ud83d\ude80\tfin", BigDecimal.ONE,
                        null))));

        String text = text(pdf);
        assertContains(text, "ACME ?? ?", "BL 7", "Z\u00fcrich 20 \u20ac", "Caf\u00e9 ?? ? fin", "R1");
        assertFalse(text.contains("\u6570") || text.contains("\ud83d\ude80"), text);
    }
}
