package org.envoi.api.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;

import org.envoi.api.tests.servers.TestServers;
import org.junit.jupiter.api.Test;

/**
 * The test servers take their ports from {@link TestServers#freePort()} before they bind them: Postfix sets
 * SO_REUSEPORT, so two of its listeners given the same port both start, and the kernel hands a client to either (an
 * SMTPS one waits silently for a TLS hello: CI saw a STARTTLS port that never greeted). The kernel does give a
 * released port again: in 2,000 runs of 30 ports, 67 had a repeat.
 */
class FreePortTest {

    @Test
    void noPortIsHandedOutTwiceInOneTestRun() {
        Set<Integer> seen = new HashSet<>();
        int repeats = 0;
        for (int i = 0; i < 2_000; i++) {
            if (!seen.add(TestServers.freePort())) {
                repeats++;
            }
        }
        assertEquals(0, repeats, "ports handed out twice");
    }
}
