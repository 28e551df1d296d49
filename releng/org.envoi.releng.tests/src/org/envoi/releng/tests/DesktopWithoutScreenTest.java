package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The desktop started where there is no screen (a server, an SSH session) says so in one line, points to the command
 * line, and exits 2 (usage, README's exit codes): it does not start Equinox to end on the launcher's "An error has
 * occurred. See the log file". A display that is set but cannot be opened ends the same way, after the launcher's own
 * line.
 */
class DesktopWithoutScreenTest {

    private static final String LINE = "USAGE: the Envoi desktop needs a screen";

    @TempDir
    Path data;

    @Test
    void withoutAnyDisplayTheScriptSaysTheDesktopNeedsAScreen() throws Exception {
        // BuiltProduct.run removes DISPLAY; WAYLAND_DISPLAY goes too
        BuiltProduct.Run r = BuiltProduct.run(BuiltProduct.linuxProduct(), data, Map.of(), "-nl", "en");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith(LINE) && r.err().contains("envoi --help"), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertFalse((r.out() + r.err()).contains("An error has occurred"), r.out() + r.err());
    }

    @Test
    void aDisplayThatCannotBeOpenedEndsWithTheSameLine() throws Exception {
        // display 4242 of this machine: no X server listens there
        BuiltProduct.Run r = BuiltProduct.run(BuiltProduct.linuxProduct(), data, Map.of("DISPLAY", ":4242"), "-nl",
                "en");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(LINE) && r.err().contains(":4242") && r.err().contains("envoi --help"), r.err());
    }
}
