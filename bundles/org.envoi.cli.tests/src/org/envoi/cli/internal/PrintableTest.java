package org.envoi.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the text output makes of outside data: no line, column, terminal escape or bidi control gets through. */
class PrintableTest {

    @Test
    void aFieldEscapesEveryControlAndBidiCharacterAndDoublesTheBackslash() {
        assertEquals("a\\tb\\nFAKE\\trow\\r", Printable.field("a\tb\nFAKE\trow\r"));
        assertEquals("\\x1b[31mred\\x1b[0m \\x07\\x00\\x7f\\x9b",
                Printable.field("\u001b[31mred\u001b[0m \u0007\u0000\u007f\u009b"));
        assertEquals("gpj.\\u202eexe \\u2066x\\u2069 \\u200f \\u2028",
                Printable.field("gpj.\u202eexe \u2066x\u2069 \u200f \u2028"));
        assertEquals("C:\\\\dir \\\\n", Printable.field("C:\\dir \\n"), "a literal backslash-n stays told apart");
        assertEquals("Éric Müller <eric@example.com> 日本",
                Printable.field("Éric Müller <eric@example.com> 日本"), "letters of every script print as they are");
        assertEquals("", Printable.field(null));
    }

    @Test
    void aTextLineJoinsLineBreaksAndEscapesTheRest() {
        assertEquals("550-5.7.1 first 550 5.7.1 second \\x1b]0;x\\x07 C:\\dir",
                Printable.text("550-5.7.1 first\r\n550 5.7.1 second\r\n\u001b]0;x\u0007 C:\\dir"));
        assertEquals("", Printable.text(null));
    }
}
