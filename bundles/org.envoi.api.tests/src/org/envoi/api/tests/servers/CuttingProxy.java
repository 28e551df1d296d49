package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 that breaks every connection once the client has sent {@code cutAfter} bytes: a network
 * that fails in the middle of a transfer (for SMTP, inside DATA). {@link #stalling} makes one that, instead, stops
 * reading there and keeps the connection open: a server or network that hangs, the client's writes block.
 */
public final class CuttingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int upstreamPort;
    private final long cutAfter;
    private final AtomicLong cuts = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final boolean stall;

    public CuttingProxy(int upstreamPort, long cutAfter) {
        this(0, upstreamPort, cutAfter, false);
    }

    /**
     * A relay on the given port that cuts nothing: a server that comes back on the address a client was already
     * configured with (before it, nothing listened there: the server was down).
     */
    public static CuttingProxy relay(int port, int upstreamPort) {
        return new CuttingProxy(port, upstreamPort, Long.MAX_VALUE, false);
    }

    /** Stops reading what the client sends after {@code stallAfter} bytes, until closed; counted in {@link #cuts}. */
    public static CuttingProxy stalling(int upstreamPort, long stallAfter) {
        return new CuttingProxy(0, upstreamPort, stallAfter, true);
    }

    private CuttingProxy(int port, int upstreamPort, long cutAfter, boolean stall) {
        this.upstreamPort = upstreamPort;
        this.cutAfter = cutAfter;
        this.stall = stall;
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            if (stall) {
                server.setReceiveBufferSize(16 * 1024); // the client's writes block sooner
            }
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 10);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread t = new Thread(this::acceptLoop, "cutting-proxy");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** How many connections the client opened through the relay. */
    public long connections() {
        return connections.get();
    }

    /** How many connections were cut. */
    public long cuts() {
        return cuts.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                connections.incrementAndGet();
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress("127.0.0.1", upstreamPort), 5000);
                pump(upstream.getInputStream(), client.getOutputStream(), Long.MAX_VALUE, client, upstream);
                pump(client.getInputStream(), upstream.getOutputStream(), cutAfter, client, upstream);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void pump(InputStream in, OutputStream out, long limit, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            long total = 0;
            try {
                for (int n; (n = in.read(buf)) != -1;) {
                    if (total + n > limit) {
                        out.write(buf, 0, (int) (limit - total));
                        out.flush();
                        cuts.incrementAndGet();
                        while (stall && !server.isClosed()) {
                            Thread.sleep(50); // reads nothing more: the client's writes fill the buffers and block
                        }
                        a.setSoLinger(true, 0);
                        b.setSoLinger(true, 0);
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    total += n;
                }
            } catch (IOException e) {
                // the other side went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    a.close();
                    b.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, "cutting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // nothing to release
        }
    }
}
