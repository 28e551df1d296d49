package org.envoi.diffusion.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.DocumentRenderer;
import org.osgi.service.component.annotations.Component;

/**
 * A clean A4 delivery note, invoice, credit note or quote with Apache PDFBox and the standard Helvetica (no font
 * file to ship): header with the company, number, date and customer, a table of lines that continues on new pages
 * with its header repeated, a total for priced documents, "Page n / N" at the foot. Characters the standard fonts
 * cannot show become '?', never an error. Registered with ranking 0: an ERP's own renderer replaces it.
 */
@Component(service = DocumentRenderer.class)
public final class PdfBoxRenderer implements DocumentRenderer {

    private static final float MARGIN = 50;
    private static final float ROW = 16;
    private static final Map<String, String> TITLES = Map.of("BL", "Bon de livraison", "FACTURE CLIENT", "Facture",
            "AVOIR CLIENT", "Avoir", "DEVIS CLIENT", "Devis", "COMMANDE FOURNISSEUR", "Commande");
    private static final Map<String, String> NUMBER_FIELDS = Map.of("BL", "ID_BL", "FACTURE CLIENT", "ID_FACTURE",
            "AVOIR CLIENT", "ID_FACTURE", "DEVIS CLIENT", "ID_DEVIS", "COMMANDE FOURNISSEUR", "ID_COMMANDE");

    @Override
    public byte[] render(DocumentContext doc) {
        String numberField = NUMBER_FIELDS.getOrDefault(doc.diffusionCode(), "ID");
        String company = required(doc, "SOCIETE", "the issuing company's name");
        String number = required(doc, numberField, "the document number");
        boolean priced = doc.lines().stream().anyMatch(l -> l.unitPrice() != null);
        try (PDDocument pdf = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDType1Font regular = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            PDType1Font bold = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
            String title = TITLES.getOrDefault(doc.diffusionCode(), doc.diffusionCode());
            List<PDPage> pages = new ArrayList<>();
            PDPage page = newPage(pdf, pages);
            PDPageContentStream cs = new PDPageContentStream(pdf, page);
            float top = PDRectangle.A4.getHeight() - MARGIN;
            text(cs, bold, 16, MARGIN, top, company);
            text(cs, bold, 20, 330, top, title);
            text(cs, regular, 11, 330, top - 22, "N\u00b0 " + number);
            text(cs, regular, 11, 330, top - 38, "Date : " + doc.fields().getOrDefault("DATE", ""));
            float y = top - 80;
            String client = doc.fields().getOrDefault("CLIENT", "");
            if (!client.isEmpty()) {
                text(cs, bold, 11, 330, y, client);
                for (String line : doc.fields().getOrDefault("ADRESSE_CLIENT", "").split("\n")) {
                    y -= 14;
                    text(cs, regular, 10, 330, y, line);
                }
            }
            y = Math.min(y, top - 80) - 40;
            float[] cols = priced ? new float[] { MARGIN, 130, 340, 410, 490 } : new float[] { MARGIN, 130, 470 };
            String[] heads = priced ? new String[] { "R\u00e9f.", "D\u00e9signation", "Quantit\u00e9",
                    "Prix unitaire", "Montant" } : new String[] { "R\u00e9f.", "D\u00e9signation", "Quantit\u00e9" };
            y = header(cs, bold, cols, heads, y);
            BigDecimal total = BigDecimal.ZERO;
            for (DocumentContext.Line l : doc.lines()) {
                if (y < MARGIN + 40) {
                    cs.close();
                    page = newPage(pdf, pages);
                    cs = new PDPageContentStream(pdf, page);
                    y = header(cs, bold, cols, heads, top);
                }
                float width = (priced ? cols[2] : cols[2]) - cols[1] - 8;
                text(cs, regular, 10, cols[0], y, fit(regular, 10, l.reference() == null ? "" : l.reference(),
                        cols[1] - cols[0] - 6));
                text(cs, regular, 10, cols[1], y, fit(regular, 10, l.label(), width));
                text(cs, regular, 10, cols[2], y, amount(l.quantity(), false));
                if (priced && l.unitPrice() != null) {
                    BigDecimal line = l.quantity().multiply(l.unitPrice()).setScale(2, RoundingMode.HALF_UP);
                    total = total.add(line);
                    text(cs, regular, 10, cols[3], y, amount(l.unitPrice(), true));
                    text(cs, regular, 10, cols[4], y, amount(line, true));
                }
                y -= ROW;
            }
            if (priced) {
                y -= 6;
                text(cs, bold, 11, cols[3], y, "Total HT");
                text(cs, bold, 11, cols[4], y, amount(total, true));
            }
            cs.close();
            for (int i = 0; i < pages.size(); i++) {
                try (PDPageContentStream foot = new PDPageContentStream(pdf, pages.get(i),
                        PDPageContentStream.AppendMode.APPEND, true)) {
                    text(foot, regular, 9, PDRectangle.A4.getWidth() - MARGIN - 60, MARGIN - 20, "Page " + (i + 1)
                            + " / " + pages.size());
                }
            }
            PDDocumentInformation info = pdf.getDocumentInformation();
            info.setTitle(safe(regular, title + " " + number));
            info.setAuthor(safe(regular, company));
            info.setProducer("Envoi");
            pdf.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("the document " + doc.diffusionCode() + " could not be rendered", e);
        }
    }

    private static String required(DocumentContext doc, String field, String what) {
        String v = doc.fields().get(field);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("the document field " + field + " is missing: give " + what);
        }
        return v;
    }

    private static PDPage newPage(PDDocument pdf, List<PDPage> pages) {
        PDPage p = new PDPage(PDRectangle.A4);
        pdf.addPage(p);
        pages.add(p);
        return p;
    }

    private static float header(PDPageContentStream cs, PDType1Font bold, float[] cols, String[] heads, float y)
            throws IOException {
        for (int i = 0; i < heads.length; i++) {
            text(cs, bold, 10, cols[i], y, heads[i]);
        }
        cs.moveTo(MARGIN, y - 5);
        cs.lineTo(PDRectangle.A4.getWidth() - MARGIN, y - 5);
        cs.stroke();
        return y - ROW - 4;
    }

    private static void text(PDPageContentStream cs, PDType1Font font, float size, float x, float y, String s)
            throws IOException {
        cs.beginText();
        cs.setFont(font, size);
        cs.newLineAtOffset(x, y);
        cs.showText(safe(font, s));
        cs.endText();
    }

    /** What the font can show: control characters become spaces, anything it cannot encode '?'. */
    static String safe(PDType1Font font, String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp)) {
                b.append(' ');
                return;
            }
            String c = new String(Character.toChars(cp));
            try {
                font.encode(c);
                b.append(c);
            } catch (IOException | IllegalArgumentException e) {
                b.append('?');
            }
        });
        return b.toString();
    }

    /** Cuts a text with "..." so that it fits the column. */
    private static String fit(PDType1Font font, float size, String s, float width) throws IOException {
        String t = safe(font, s);
        if (font.getStringWidth(t) / 1000 * size <= width) {
            return t;
        }
        while (t.length() > 1 && font.getStringWidth(t + "...") / 1000 * size > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "...";
    }

    private static String amount(BigDecimal v, boolean money) {
        DecimalFormatSymbols fr = DecimalFormatSymbols.getInstance(Locale.FRANCE);
        fr.setGroupingSeparator(' ');
        DecimalFormat f = new DecimalFormat(money ? "#,##0.00" : "#,##0.###", fr);
        return f.format(v);
    }
}
