package org.envoi.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The command's standard input says exactly when a read would not block, the end of input included. */
class StandardInputTest {

    @Test
    void readyIsTrueForWaitingTextAndAtTheEndOfInput() throws Exception {
        PipedOutputStream typing = new PipedOutputStream();
        BufferedReader in = new BufferedReader(new StandardInput(new PipedInputStream(typing),
                StandardCharsets.UTF_8));
        assertFalse(in.ready(), "nothing typed yet");
        typing.write("first line\nsecond".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            while (!in.ready()) {
                Thread.sleep(5);
            }
        });
        assertEquals("first line", in.readLine());
        typing.close(); // the end of input: what a pipe whose writer is gone, or /dev/null, gives
        assertEquals("second", assertTimeoutPreemptively(Duration.ofSeconds(10), in::readLine));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            while (!in.ready()) {
                Thread.sleep(5);
            }
        });
        assertTrue(in.ready(), "ready at the end: the next read returns at once");
        assertEquals(-1, in.read());
    }
}
