package org.envoi.diffusion.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 in front of a real server. Once {@link #arm armed}, it holds the first connection that
 * comes (nothing it sent reaches the server, no answer comes back) until {@link #release}, and counts the connections
 * that come meanwhile and after: a request caught in flight while the test looks at what the other clients do.
 */
final class HoldingRelay implements AutoCloseable {

    private final ServerSocket server;
    private final int upstreamPort;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicInteger armedConnections = new AtomicInteger();
    private volatile boolean armed;

    HoldingRelay(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(this::acceptLoop, "holding-relay");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** From now on, the first connection is held until {@link #release}. */
    void arm() {
        armed = true;
    }

    /** Waits until a connection is held. */
    boolean awaitHeld(long seconds) throws InterruptedException {
        return held.await(seconds, TimeUnit.SECONDS);
    }

    void release() {
        released.countDown();
    }

    /** The connections made since {@link #arm}, the held one included. */
    int connections() {
        return armedConnections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                boolean hold = armed && armedConnections.incrementAndGet() == 1;
                Thread t = new Thread(() -> relay(client, hold), "holding-relay-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void relay(Socket client, boolean hold) {
        try {
            if (hold) {
                held.countDown();
                if (!released.await(60, TimeUnit.SECONDS)) {
                    client.close();
                    return;
                }
            }
            Socket upstream = new Socket();
            upstream.connect(new InetSocketAddress("127.0.0.1", upstreamPort), 5000);
            pump(upstream.getInputStream(), client.getOutputStream(), client, upstream);
            pump(client.getInputStream(), upstream.getOutputStream(), client, upstream);
        } catch (IOException e) {
            close(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(client);
        }
    }

    private static void pump(InputStream in, OutputStream out, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) != -1;) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side went away
            } finally {
                close(a);
                close(b);
            }
        }, "holding-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        released.countDown();
        close0();
    }

    private void close0() {
        try {
            server.close();
        } catch (IOException e) {
            // nothing to release
        }
    }
}
