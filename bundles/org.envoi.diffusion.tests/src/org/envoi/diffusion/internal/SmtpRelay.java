package org.envoi.diffusion.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain TCP relay between an SMTP client and a real server that sees, and reports, the server's answer to the end of
 * a mail's data: the moment the server has accepted a mail and the client has not yet heard it. The kill tests stop
 * the client's process there; the window measurement takes the time from there to the durable mark.
 */
final class SmtpRelay implements AutoCloseable {

    /** Hears the server's 2xx answer to an end of data, just before the relay passes it on. */
    @FunctionalInterface
    interface Acceptance {
        /**
         * Called once the answer was passed on. @param n 1 for the first mail accepted through this relay
         * @param nanos {@link System#nanoTime()} just before it was passed on
         */
        void accepted(int n, long nanos);
    }

    private final ServerSocket listener;
    private final int target;
    private final Acceptance acceptance;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    SmtpRelay(int targetPort, Acceptance acceptance) throws IOException {
        this.target = targetPort;
        this.acceptance = acceptance;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "smtp-relay");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                client.setTcpNoDelay(true);
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                Connection c = new Connection();
                start(() -> c.clientToServer(client, server));
                start(() -> c.serverToClient(server, client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "smtp-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    /** One client's session: whether its end of data was sent and awaits the server's answer. */
    private final class Connection {
        private volatile boolean dataEnded;

        void clientToServer(Socket client, Socket server) {
            byte[] buf = new byte[64 * 1024];
            int last = 0; // the last bytes seen, to find CRLF.CRLF across reads
            try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        last = (last << 8) | (buf[i] & 0xff);
                        if ((last & 0xff_ffff) == 0x2e_0d0a && ((last >>> 24) & 0xff) == 0x0a) {
                            // \n.\r\n: a line with only a dot ends the data (dot-stuffing keeps it out of the data)
                            dataEnded = true; // set before the server can answer it
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(client, server);
            }
        }

        void serverToClient(Socket server, Socket client) {
            byte[] buf = new byte[8192];
            StringBuilder line = new StringBuilder();
            try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    int from = 0;
                    for (int i = 0; i < n; i++) {
                        line.append((char) (buf[i] & 0xff));
                        if (buf[i] != '\n') {
                            continue;
                        }
                        boolean finalLine = line.length() > 3 && line.charAt(3) == ' ';
                        if (dataEnded && finalLine) {
                            dataEnded = false;
                            if (line.charAt(0) == '2') {
                                long at = System.nanoTime(); // before the client can have it
                                out.write(buf, from, i + 1 - from); // up to the end of the answer, not beyond
                                from = i + 1;
                                acceptance.accepted(accepted.incrementAndGet(), at);
                            }
                        }
                        line.setLength(0);
                    }
                    out.write(buf, from, n - from);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(server, client);
            }
        }
    }

    private static void closeQuietly(Socket... all) {
        for (Socket s : all) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(s -> closeQuietly(s));
    }
}
