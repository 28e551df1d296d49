package org.envoi.cli.internal;

/**
 * What the command line prints of data that comes from outside (a mail's From and Subject, a server's reply, an
 * error that quotes one), so that it can neither add lines or TAB-separated columns to an output a script reads, nor
 * send escape sequences to the terminal, nor turn the text around: control characters (C0, DEL, C1), the Unicode line
 * and paragraph separators and the bidirectional controls are printed as escapes: {@code \t}, {@code \n}, {@code \r},
 * {@code \x1b} below U+00A0, a backslash, {@code u} and four hex digits above (U+202E, the right-to-left override).
 * JSON output needs none of this: Jackson escapes it.
 */
final class Printable {

    private Printable() {
    }

    /**
     * A field of a TAB-separated line: every such character escaped and the backslash doubled, so that the field
     * reads back unambiguously.
     */
    static String field(String s) {
        return escape(s, true);
    }

    /**
     * Text in a line for people (progress, a one-line error): line breaks become spaces (a server's reply of several
     * lines reads as one), the other characters above are escaped; a backslash stays one (Windows paths).
     */
    static String text(String s) {
        return s == null ? "" : escape(s.replaceAll("[\\r\\n]+", " ").strip(), false);
    }

    private static String escape(String s, boolean field) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String e = escape(c, field);
            if (e != null && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (e != null) {
                    b.append(e);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** The escape of one character, or null when it prints as itself. */
    private static String escape(char c, boolean field) {
        switch (c) {
            case '\t':
                return "\\t";
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\\':
                return field ? "\\\\" : null;
            default:
                break;
        }
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            return String.format("\\x%02x", (int) c);
        }
        if (c == '\u2028' || c == '\u2029' || bidi(c)) {
            return String.format("\\u%04x", (int) c);
        }
        return null;
    }

    /** The bidirectional formatting characters: marks, embeddings, overrides and isolates (Unicode's Bidi_Control). */
    private static boolean bidi(char c) {
        return c == '\u061c' || c == '\u200e' || c == '\u200f' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }
}
