package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.DocumentRenderer;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.Test;

/** The PDF renderer the product ships, as a DS service: real PDFs, read back with PDFBox's text extraction. */
class DocumentRendererServiceTest {

    private static DocumentRenderer renderer() {
        return OsgiServices.get(OsgiServices.context(DocumentRendererServiceTest.class), DocumentRenderer.class, null);
    }

    private static String text(byte[] pdf) throws Exception {
        try (PDDocument d = Loader.loadPDF(pdf)) {
            return new PDFTextStripper().getText(d);
        }
    }

    @Test
    void aDeliveryNoteShowsItsHeaderAndLines() throws Exception {
        byte[] pdf = renderer().render(new DocumentContext("BL", Map.of("SOCIETE", "ACME SARL", "ID_BL", "BL-0042",
                "DATE", "22/11/2026", "CLIENT", "Dupuis & Fils", "ADRESSE_CLIENT", "3 rue des Lilas\n69003 Lyon"),
                List.of(new DocumentContext.Line("A-100", "Palette de vis inox", new BigDecimal("3"), null),
                        new DocumentContext.Line("B-220", "\u00c9crous M8 \u00e0 t\u00eate \u00e9vas\u00e9e",
                                new BigDecimal("150"), null))));
        assertEquals("%PDF", new String(pdf, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        String t = text(pdf);
        for (String expected : List.of("ACME SARL", "Bon de livraison", "BL-0042", "Dupuis & Fils", "69003 Lyon",
                "D\u00e9signation", "Palette de vis inox", "\u00c9crous M8 \u00e0 t\u00eate \u00e9vas\u00e9e", "150",
                "Page 1 / 1")) {
            assertTrue(t.contains(expected), () -> "'" + expected + "' in:\n" + t);
        }
    }

    @Test
    void anInvoiceComputesAmountsAndTotal() throws Exception {
        String t = text(renderer().render(new DocumentContext("FACTURE CLIENT", Map.of("SOCIETE", "ACME",
                "ID_FACTURE", "FA-7"), List.of(new DocumentContext.Line("X", "Conseil", new BigDecimal("2.5"),
                        new BigDecimal("480")), new DocumentContext.Line("Y", "Frais", new BigDecimal("1"),
                                new BigDecimal("34.50"))))));
        assertTrue(t.contains("Facture"), t);
        assertTrue(t.contains("1 200,00"), "2.5 x 480: " + t);
        assertTrue(t.contains("Total HT") && t.contains("1 234,50"), t);
    }

    @Test
    void manyLinesContinueOnNumberedPages() throws Exception {
        List<DocumentContext.Line> lines = new ArrayList<>();
        for (int i = 1; i <= 120; i++) {
            lines.add(new DocumentContext.Line("R" + i, "Article " + i + " " + "x".repeat(200), BigDecimal.ONE, null));
        }
        byte[] pdf = renderer().render(new DocumentContext("BL", Map.of("SOCIETE", "ACME", "ID_BL", "9"), lines));
        try (PDDocument d = Loader.loadPDF(pdf)) {
            int pages = d.getNumberOfPages();
            assertTrue(pages >= 3, "pages: " + pages);
            String t = new PDFTextStripper().getText(d);
            assertTrue(t.contains("Page 1 / " + pages) && t.contains("Page " + pages + " / " + pages), t);
            assertTrue(t.contains("Article 120"), "the last line is there");
        }
    }

    @Test
    void aMissingNumberIsNamedAndUnshowableCharactersDoNotStopIt() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> renderer().render(
                new DocumentContext("BL", Map.of("SOCIETE", "ACME"), List.of())));
        assertTrue(e.getMessage().contains("ID_BL"), e.getMessage());
        String t = text(renderer().render(new DocumentContext("BL", Map.of("SOCIETE", "ACME \u6570\u636e \ud83d\ude80",
                "ID_BL", "1\t2"), List.of())));
        assertTrue(t.contains("ACME ?? ?"), t);
    }
}
