package org.envoi.diffusion.internal;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

/**
 * Replaces {@code [KEYWORD]} with the document's values. A keyword the document does not carry is an error (the mail
 * is not sent half-filled). Where the text goes decides how a value is made harmless: a subject loses line breaks (no
 * header injection), an HTML body gets its values escaped (no markup injection).
 */
final class Keywords {

    enum Target {
        SUBJECT, TEXT, HTML, FILE_NAME
    }

    private static final Pattern KEYWORD = Pattern.compile("\\[([A-Z0-9_]+)\\]");

    /** The company's name, which the pipeline adds to every document's values when it is set. */
    static final String COMPANY = "SOCIETE";

    private Keywords() {
    }

    static String fill(String template, Map<String, String> values, Target target, String where) {
        Matcher m = KEYWORD.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String value = values.get(key);
            if (value == null && COMPANY.equals(key)) {
                // the seeded settings use it: a newcomer's data folder has no company name yet
                throw new EnvoiException(ErrorCode.UNKNOWN_KEYWORD, null, "The " + where + " uses [" + COMPANY
                        + "], the company's name, which is not set: enter it under Operators and company (or run"
                        + " envoi company set --name NAME), or give " + COMPANY + " with the document.", null);
            }
            if (value == null) {
                throw new EnvoiException(ErrorCode.UNKNOWN_KEYWORD, null, "The " + where + " uses the keyword [" + key
                        + "], which this document does not provide (it has " + values.keySet().stream().sorted()
                                .map(k -> "[" + k + "]").toList()
                        + "): correct the mail setting or give the value.", null);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(harmless(value, target)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String harmless(String value, Target target) {
        return switch (target) {
            case SUBJECT -> value.replaceAll("[\\r\\n\\t\\u0000-\\u001f\\u007f]+", " ").strip();
            case HTML -> html(value);
            case TEXT, FILE_NAME -> value;
        };
    }

    static String html(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Plain text as HTML: escaped, line breaks kept. */
    static String textAsHtml(String text) {
        return html(text).replace("\r\n", "\n").replace("\n", "<br>\n");
    }
}
