package org.envoi.diffusion.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.envoi.api.diffusion.DocumentContext;
import org.envoi.api.diffusion.DocumentRenderer;

/**
 * Renders an ERP document as a plain A4 PDF with Apache PDFBox and the standard Helvetica fonts, so there is no font
 * file to ship.
 * <p>
 * The first page carries the issuing company, the title (delivery note, invoice, credit note, quote or the ERP's own
 * code), the number, the date and the customer with their address. A table lists the lines (reference, label,
 * quantity and, as soon as one line has a unit price, unit price and amount); long labels wrap over up to three
 * lines and are cut with an ellipsis beyond. The table continues on as many pages as needed with its header
 * repeated, priced documents end with a "Total HT" line, and each page is numbered "Page n / N".
 * <p>
 * Characters the standard fonts cannot show (outside WinAnsi: Chinese, emoji...) become {@code '?'} and control
 * characters become spaces: a text never stops the rendering. The layout is computed first, then drawn, so that
 * the page count is known when the footers are written.
 */
@org.osgi.service.component.annotations.Component(service = DocumentRenderer.class)
public final class PdfDocumentRenderer implements DocumentRenderer {

    private static final PDRectangle A4 = PDRectangle.A4;
    private static final float LEFT = 50;
    private static final float RIGHT = A4.getWidth() - 50;
    private static final float TOP = A4.getHeight() - 50;
    /** The lowest a table row or the total may reach; the footer sits below. */
    private static final float BOTTOM = 62;
    private static final float FOOTER_BASELINE = 34;
    /** Left edge of the header's right-hand block (title, number, customer). */
    private static final float HEADER_RIGHT_X = 315;

    private static final float BODY = 9.5f;
    private static final float LEADING = 12;
    private static final float ROW_PADDING = 5;
    private static final float TABLE_HEADER_HEIGHT = 18;
    private static final float TOTAL_HEIGHT = 26;
    private static final float COLUMN_GAP = 8;
    private static final int LABEL_LINES = 3;
    private static final String ELLIPSIS = "\u2026";

    /** The document kinds the renderer knows; any other code is printed as its own title, numbered by {@code ID}. */
    private record Kind(String title, String numberField, String numberMeaning) {

        private static final Map<String, Kind> KNOWN = Map.of(
                "BL", new Kind("Bon de livraison", "ID_BL", "the delivery note number"),
                "FACTURE CLIENT", new Kind("Facture", "ID_FACTURE", "the invoice number"),
                "AVOIR CLIENT", new Kind("Avoir", "ID_FACTURE", "the credit note number"),
                "DEVIS CLIENT", new Kind("Devis", "ID_DEVIS", "the quote number"));

        static Kind of(String diffusionCode) {
            String code = diffusionCode.strip();
            Kind known = KNOWN.get(code.toUpperCase(Locale.ROOT));
            if (known != null) {
                return known;
            }
            return new Kind(code.isEmpty() ? "Document" : code, "ID", "the document number");
        }
    }

    @Override
    public byte[] render(DocumentContext document) {
        Objects.requireNonNull(document, "document");
        Kind kind = Kind.of(document.diffusionCode());
        String company = required(document, "SOCIETE", "the issuing company's name");
        String number = required(document, kind.numberField(), kind.numberMeaning());
        Face regular = new Face(new PDType1Font(Standard14Fonts.FontName.HELVETICA));
        Face bold = new Face(new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD));
        try (PDDocument pdf = new PDDocument()) {
            List<Sheet> sheets = new Composer(regular, bold, kind, company, number).compose(document);
            for (Sheet sheet : sheets) {
                PDPage page = new PDPage(A4);
                pdf.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(pdf, page)) {
                    sheet.draw(content);
                }
            }
            PDDocumentInformation info = pdf.getDocumentInformation();
            info.setTitle(kind.title() + " " + number);
            info.setAuthor(company);
            info.setSubject(kind.title());
            info.setCreator("Envoi");
            info.setProducer("Envoi");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            pdf.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("the " + kind.title() + " " + number + " could not be rendered as PDF", e);
        }
    }

    private static String required(DocumentContext document, String field, String meaning) {
        String value = document.fields().get(field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the document field " + field + " is missing: give " + meaning);
        }
        return value.strip();
    }

    /** French number: groups of three separated by a space, decimal comma, {@code minScale..maxScale} decimals. */
    static String french(BigDecimal value, int minScale, int maxScale) {
        int scale = Math.max(minScale, Math.min(maxScale, value.stripTrailingZeros().scale()));
        BigDecimal rounded = value.setScale(scale, RoundingMode.HALF_UP);
        String plain = rounded.abs().toPlainString();
        int dot = plain.indexOf('.');
        String whole = dot < 0 ? plain : plain.substring(0, dot);
        StringBuilder out = new StringBuilder(rounded.signum() < 0 ? "-" : "");
        for (int i = 0; i < whole.length(); i++) {
            if (i > 0 && (whole.length() - i) % 3 == 0) {
                out.append(' ');
            }
            out.append(whole.charAt(i));
        }
        return dot < 0 ? out.toString() : out.append(',').append(plain, dot + 1, plain.length()).toString();
    }

    /** A standard font with what it can show, measured in points. */
    static final class Face {

        final PDType1Font font;
        private final Map<Integer, Boolean> encodable = new HashMap<>();

        Face(PDType1Font font) {
            this.font = font;
        }

        /** The text as this font can show it: control characters become spaces, anything it cannot encode '?'. */
        String clean(String text) {
            String composed = Normalizer.normalize(text, Normalizer.Form.NFC);
            StringBuilder out = new StringBuilder(composed.length());
            composed.codePoints().forEach(cp -> {
                if (Character.isISOControl(cp) || Character.getType(cp) == Character.LINE_SEPARATOR
                        || Character.getType(cp) == Character.PARAGRAPH_SEPARATOR) {
                    out.append(' ');
                } else if ((cp >= 0x20 && cp < 0x7f) || encodable.computeIfAbsent(cp, this::canEncode)) {
                    out.appendCodePoint(cp);
                } else {
                    out.append('?');
                }
            });
            return out.toString();
        }

        private boolean canEncode(int codePoint) {
            try {
                font.encode(new String(Character.toChars(codePoint)));
                return true;
            } catch (IOException | IllegalArgumentException e) {
                return false;
            }
        }

        /** Width in points of a text already {@link #clean cleaned}. */
        float width(String cleaned, float size) throws IOException {
            return font.getStringWidth(cleaned) / 1000 * size;
        }

        /** How many leading characters of a cleaned text fit in {@code room} points (glyph widths add up). */
        int fitting(String cleaned, float size, float room) throws IOException {
            float used = 0;
            for (int i = 0; i < cleaned.length(); i++) {
                used += width(cleaned.substring(i, i + 1), size);
                if (used > room) {
                    return i;
                }
            }
            return cleaned.length();
        }

        /** The cleaned text on one line, cut with an ellipsis when wider than {@code room}. */
        String line(String text, float size, float room) throws IOException {
            String cleaned = clean(text).strip();
            if (width(cleaned, size) <= room) {
                return cleaned;
            }
            int keep = fitting(cleaned, size, room - width(ELLIPSIS, size));
            return cleaned.substring(0, keep).stripTrailing() + ELLIPSIS;
        }

        /**
         * The cleaned text wrapped to {@code room} points: on its own line breaks, between words, inside words
         * longer than a line; at most {@code maxLines}, the last one ending with an ellipsis when some is left out.
         */
        List<String> wrap(String text, float size, float room, int maxLines) throws IOException {
            List<String> lines = new ArrayList<>();
            for (String paragraph : text.split("\\R")) {
                if (lines.size() > maxLines) {
                    break;
                }
                String current = "";
                for (String word : clean(paragraph).strip().split(" +")) {
                    if (word.isEmpty() || lines.size() > maxLines) {
                        continue;
                    }
                    String joined = current.isEmpty() ? word : current + " " + word;
                    if (width(joined, size) <= room) {
                        current = joined;
                        continue;
                    }
                    if (!current.isEmpty()) {
                        lines.add(current);
                    }
                    current = word;
                    while (width(current, size) > room && lines.size() <= maxLines) {
                        int keep = Math.max(1, fitting(current, size, room));
                        lines.add(current.substring(0, keep));
                        current = current.substring(keep);
                    }
                }
                if (!current.isEmpty()) {
                    lines.add(current);
                }
            }
            if (lines.size() > maxLines) {
                List<String> kept = new ArrayList<>(lines.subList(0, maxLines));
                kept.set(maxLines - 1, line(kept.get(maxLines - 1) + ELLIPSIS, size, room));
                return kept;
            }
            return lines;
        }

        /** The largest size up to {@code size} at which the cleaned text fits {@code room}, never below 5 points. */
        float shrink(String cleaned, float size, float room) throws IOException {
            float width = width(cleaned, size);
            return width <= room ? size : Math.max(5, size * room / width);
        }
    }

    /** One piece of text to draw, already cleaned for its font. */
    private record Text(Face face, float size, float gray, float x, float y, String value) {
    }

    /** One horizontal line to draw. */
    private record Rule(float from, float to, float y, float thickness, float gray) {
    }

    /** What one page shows, laid out before anything is drawn. */
    private static final class Sheet {

        final List<Text> texts = new ArrayList<>();
        final List<Rule> rules = new ArrayList<>();

        void text(Face face, float size, float gray, float x, float y, String cleaned) {
            if (!cleaned.isBlank()) {
                texts.add(new Text(face, size, gray, x, y, cleaned));
            }
        }

        void draw(PDPageContentStream content) throws IOException {
            for (Rule rule : rules) {
                content.setStrokingColor(rule.gray());
                content.setLineWidth(rule.thickness());
                content.moveTo(rule.from(), rule.y());
                content.lineTo(rule.to(), rule.y());
                content.stroke();
            }
            for (Text text : texts) {
                content.beginText();
                content.setFont(text.face().font, text.size());
                content.setNonStrokingColor(text.gray());
                content.newLineAtOffset(text.x(), text.y());
                content.showText(text.value());
                content.endText();
            }
        }
    }

    /** A table column; numeric columns are right-aligned and their values shrink rather than being cut. */
    private record Column(String head, float x, float width, boolean numeric) {

        float right() {
            return x + width;
        }
    }

    /** One table line, measured. */
    private record Row(String reference, List<String> label, String quantity, String unitPrice, String amount) {

        float height() {
            return Math.max(1, label.size()) * LEADING + ROW_PADDING;
        }
    }

    /** Lays out the pages of one document. */
    private static final class Composer {

        private final Face regular;
        private final Face bold;
        private final Kind kind;
        private final String company;
        private final String number;
        private final List<Sheet> sheets = new ArrayList<>();
        private Sheet sheet;
        private float y;
        private List<Column> columns;

        Composer(Face regular, Face bold, Kind kind, String company, String number) {
            this.regular = regular;
            this.bold = bold;
            this.kind = kind;
            this.company = company;
            this.number = number;
        }

        List<Sheet> compose(DocumentContext document) throws IOException {
            boolean priced = document.lines().stream().anyMatch(line -> line.unitPrice() != null);
            columns = priced
                    ? columns(new String[] { "R\u00e9f.", "D\u00e9signation", "Quantit\u00e9", "Prix unitaire",
                            "Montant" }, new float[] { 72, 0, 52, 68, 72 })
                    : columns(new String[] { "R\u00e9f.", "D\u00e9signation", "Quantit\u00e9" },
                            new float[] { 90, 0, 70 });
            sheet = new Sheet();
            sheets.add(sheet);
            y = header(document.fields());
            tableHeader();
            BigDecimal total = BigDecimal.ZERO;
            for (DocumentContext.Line line : document.lines()) {
                BigDecimal amount = line.unitPrice() == null ? null
                        : line.quantity().multiply(line.unitPrice()).setScale(2, RoundingMode.HALF_UP);
                if (amount != null) {
                    total = total.add(amount);
                }
                Row row = row(line, amount);
                if (y - row.height() < BOTTOM) {
                    continuation();
                }
                drawRow(row);
            }
            if (priced) {
                if (y - TOTAL_HEIGHT < BOTTOM) {
                    continuation();
                }
                drawTotal(total);
            }
            footers();
            return sheets;
        }

        /** Columns left to right with the given widths; the one of width 0 takes the room left. */
        private static List<Column> columns(String[] heads, float[] widths) {
            float fixed = COLUMN_GAP * (widths.length - 1);
            for (float width : widths) {
                fixed += width;
            }
            List<Column> result = new ArrayList<>();
            float x = LEFT;
            for (int i = 0; i < heads.length; i++) {
                float width = widths[i] > 0 ? widths[i] : RIGHT - LEFT - fixed;
                result.add(new Column(heads[i], x, width, i >= 2));
                x += width + COLUMN_GAP;
            }
            return result;
        }

        /** The first page's header block; returns where the table starts. */
        private float header(Map<String, String> fields) throws IOException {
            float leftRoom = HEADER_RIGHT_X - LEFT - 20;
            float rightRoom = RIGHT - HEADER_RIGHT_X;
            float left = TOP - 14;
            for (String line : bold.wrap(company, 14, leftRoom, 3)) {
                sheet.text(bold, 14, 0, LEFT, left, line);
                left -= 17;
            }

            String title = bold.clean(kind.title()).strip();
            float titleSize = bold.shrink(title, 18, rightRoom);
            float right = TOP - 14;
            sheet.text(bold, titleSize, 0, HEADER_RIGHT_X, right, bold.line(title, titleSize, rightRoom));
            right -= 20;
            for (String line : regular.wrap("N\u00b0 " + number, 10.5f, rightRoom, 2)) {
                sheet.text(regular, 10.5f, 0, HEADER_RIGHT_X, right, line);
                right -= 14;
            }
            String date = fields.getOrDefault("DATE", "");
            if (!date.isBlank()) {
                sheet.text(regular, 10.5f, 0, HEADER_RIGHT_X, right, regular.line("Date : " + date, 10.5f,
                        rightRoom));
                right -= 14;
            }

            String client = fields.getOrDefault("CLIENT", "");
            String address = fields.getOrDefault("ADRESSE_CLIENT", "");
            if (!client.isBlank() || !address.isBlank()) {
                right -= 12;
                sheet.text(regular, 8, 0.4f, HEADER_RIGHT_X, right, "Client");
                right -= 14;
                for (String line : bold.wrap(client, 10.5f, rightRoom, 2)) {
                    sheet.text(bold, 10.5f, 0, HEADER_RIGHT_X, right, line);
                    right -= 13;
                }
                for (String line : regular.wrap(address, 10, rightRoom, 6)) {
                    sheet.text(regular, 10, 0, HEADER_RIGHT_X, right, line);
                    right -= 13;
                }
            }
            return Math.min(left, right) - 20;
        }

        /** A new page: a running title, then the table header again. */
        private void continuation() throws IOException {
            sheet = new Sheet();
            sheets.add(sheet);
            sheet.text(bold, 10, 0, LEFT, TOP - 10, bold.line(kind.title() + " N\u00b0 " + number + " \u2014 "
                    + company + " (suite)", 10, RIGHT - LEFT));
            y = TOP - 30;
            tableHeader();
        }

        private void tableHeader() throws IOException {
            float baseline = y - 11;
            String[] cells = columns.stream().map(Column::head).toArray(String[]::new);
            cell(bold, cells, baseline);
            sheet.rules.add(new Rule(LEFT, RIGHT, y - 15, 0.8f, 0));
            y -= TABLE_HEADER_HEIGHT + 2;
        }

        private Row row(DocumentContext.Line line, BigDecimal amount) throws IOException {
            String reference = line.reference() == null ? "" : line.reference();
            List<String> label = regular.wrap(line.label(), BODY, columns.get(1).width(), LABEL_LINES);
            return new Row(regular.line(reference, BODY, columns.get(0).width()), label,
                    regular.clean(french(line.quantity(), 0, 4)),
                    line.unitPrice() == null ? "" : regular.clean(french(line.unitPrice(), 2, 4)),
                    amount == null ? "" : regular.clean(french(amount, 2, 2)));
        }

        private void drawRow(Row row) throws IOException {
            float baseline = y - LEADING + 2;
            String first = row.label().isEmpty() ? "" : row.label().get(0);
            String[] cells = columns.size() == 5
                    ? new String[] { row.reference(), first, row.quantity(), row.unitPrice(), row.amount() }
                    : new String[] { row.reference(), first, row.quantity() };
            cell(regular, cells, baseline);
            for (int i = 1; i < row.label().size(); i++) {
                sheet.text(regular, BODY, 0, columns.get(1).x(), baseline - i * LEADING, row.label().get(i));
            }
            y -= row.height();
            sheet.rules.add(new Rule(LEFT, RIGHT, y + 1, 0.3f, 0.8f));
        }

        /** One table line of cleaned cells; numbers are right-aligned and shrunk to fit their column. */
        private void cell(Face face, String[] cells, float baseline) throws IOException {
            for (int i = 0; i < cells.length; i++) {
                Column column = columns.get(i);
                String value = face.clean(cells[i]).strip();
                if (value.isEmpty()) {
                    continue;
                }
                if (column.numeric()) {
                    float size = face.shrink(value, BODY, column.width());
                    sheet.text(face, size, 0, column.right() - face.width(value, size), baseline, value);
                } else {
                    sheet.text(face, BODY, 0, column.x(), baseline, face.line(value, BODY, column.width()));
                }
            }
        }

        private void drawTotal(BigDecimal total) throws IOException {
            Column price = columns.get(3);
            Column amount = columns.get(4);
            sheet.rules.add(new Rule(price.x(), RIGHT, y - 2, 0.8f, 0));
            float baseline = y - 16;
            String label = "Total HT";
            sheet.text(bold, 10, 0, price.right() - bold.width(label, 10), baseline, label);
            String value = bold.clean(french(total, 2, 2));
            float size = bold.shrink(value, 10, amount.width());
            sheet.text(bold, size, 0, amount.right() - bold.width(value, size), baseline, value);
            y -= TOTAL_HEIGHT;
        }

        /** "Page n / N" on every page, now that N is known, with the document's name on the left. */
        private void footers() throws IOException {
            String name = regular.line(kind.title() + " N\u00b0 " + number, 8, (RIGHT - LEFT) / 2);
            for (int i = 0; i < sheets.size(); i++) {
                Sheet page = sheets.get(i);
                String count = "Page " + (i + 1) + " / " + sheets.size();
                page.rules.add(new Rule(LEFT, RIGHT, FOOTER_BASELINE + 12, 0.3f, 0.6f));
                page.text(regular, 8, 0.35f, LEFT, FOOTER_BASELINE, name);
                page.text(regular, 8, 0.35f, RIGHT - regular.width(count, 8), FOOTER_BASELINE, count);
            }
        }
    }
}
