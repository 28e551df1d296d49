package org.envoi.relay.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down guessing: each wrong login from an address waits before its refusal, 250 ms doubling up to 10 s; a good
 * login from it, or 15 minutes without a wrong one, starts over. The wait holds only that client's connection.
 */
final class LoginDelays {

    private static final long FIRST_MS = 250;
    private static final long MAX_MS = 10_000;
    private static final long FORGET_MS = 15 * 60_000;

    private record Failures(int count, long last) {
    }

    private final Map<String, Failures> byAddress = new ConcurrentHashMap<>();

    void succeeded(String address) {
        byAddress.remove(address);
    }

    /** Counts a wrong login and waits as long as the address has earned. */
    void failed(String address) {
        long now = System.currentTimeMillis();
        Failures f = byAddress.compute(address, (k, old) -> old == null || now - old.last() > FORGET_MS
                ? new Failures(1, now) : new Failures(old.count() + 1, now));
        long wait = Math.min(MAX_MS, FIRST_MS << Math.min(f.count() - 1, 16));
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many wrong logins in a row the address has now (for tests and the status). */
    int failures(String address) {
        Failures f = byAddress.get(address);
        return f == null ? 0 : f.count();
    }
}
