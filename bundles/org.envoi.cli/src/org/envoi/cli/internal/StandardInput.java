package org.envoi.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.Reader;
import java.nio.charset.Charset;

/**
 * The command's standard input, read ahead by one daemon thread into memory, so that {@link #ready()} is exact: true
 * when a character is waiting or the input has ended. A {@code System.in} pipe cannot say it has ended without a read
 * that blocks; with this, a sign-in that polls its input sees the end at once and still never blocks (and never leaves
 * a blocked read behind that would take a line meant for someone else: every character lands here, in order).
 */
final class StandardInput extends Reader {

    private final Reader source;
    private final StringBuilder buffer = new StringBuilder();
    private boolean ended;
    private IOException failure;
    private Thread pump;

    StandardInput(InputStream in, Charset charset) {
        this.source = new InputStreamReader(in, charset);
    }

    /** Started on first use: a command that never reads its input starts no thread. */
    private void started() {
        if (pump == null) {
            pump = new Thread(this::pump, "envoi-stdin");
            pump.setDaemon(true);
            pump.start();
        }
    }

    private void pump() {
        char[] chunk = new char[8192];
        try {
            int n;
            while ((n = source.read(chunk)) != -1) {
                synchronized (lock) {
                    buffer.append(chunk, 0, n);
                    lock.notifyAll();
                }
            }
        } catch (IOException e) {
            synchronized (lock) {
                failure = e;
            }
        } finally {
            synchronized (lock) {
                ended = true;
                lock.notifyAll();
            }
        }
    }

    @Override
    public int read(char[] into, int off, int len) throws IOException {
        synchronized (lock) {
            started();
            while (buffer.isEmpty() && !ended) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading standard input");
                }
            }
            if (buffer.isEmpty()) {
                if (failure != null) {
                    throw failure;
                }
                return -1;
            }
            int n = Math.min(len, buffer.length());
            buffer.getChars(0, n, into, off);
            buffer.delete(0, n);
            return n;
        }
    }

    @Override
    public boolean ready() {
        synchronized (lock) {
            started();
            return !buffer.isEmpty() || ended;
        }
    }

    /** Standard input stays open: it is the process's, not this reader's. */
    @Override
    public void close() {
        // nothing to release
    }
}
