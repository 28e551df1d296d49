package org.envoi.relay.internal;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One side of a pass-through session: lines while the relay speaks the protocol, then the same buffered stream for
 * the untouched copy (nothing read ahead is lost). Lines are limited in length: before the login a client is
 * nobody.
 */
final class Wire {

    /** Longer than any login line (a 4 KB token in base64 and then some), shorter than a nuisance. */
    static final int MAX_LINE = 32 * 1024;

    final Socket socket;
    final BufferedInputStream in;
    final OutputStream out;

    Wire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
    }

    /** The next line without its CRLF (or LF), UTF-8; null at the end of the stream. */
    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new EOFException("the connection closed in the middle of a line");
            }
            if (b.size() >= MAX_LINE) {
                throw new IOException("a line longer than " + MAX_LINE + " bytes");
            }
            b.write(c);
        }
        byte[] bytes = b.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    /** Exactly {@code n} bytes (an IMAP literal). */
    byte[] bytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new EOFException("the connection closed in the middle of a literal");
        }
        return b;
    }

    /** Sends the line with its CRLF. */
    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /**
     * The client asked for STARTTLS / STLS and was told to go ahead: TLS as the server, on a fresh stream (what the
     * client sent before the handshake is dropped, never read as if it came encrypted).
     */
    Wire secureAsServer(SSLContext context) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(socket, socket.getInetAddress()
                .getHostAddress(), socket.getPort(), true);
        s.setUseClientMode(false);
        s.setSoTimeout(socket.getSoTimeout());
        s.startHandshake();
        return new Wire(s);
    }
}
