package org.envoi.transport.graph.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a delivered mail back over IMAP from the test Dovecot, as a recipient's client would: AUTHENTICATE XOAUTH2,
 * SELECT INBOX, UID SEARCH by subject, UID FETCH BODY.PEEK[]. A few commands, so the bundle under test needs no IMAP
 * client of another bundle's internals.
 */
final class ImapPeek implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private int tag;

    private ImapPeek(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
        assertTrue(line().startsWith("* OK"), "IMAP greeting");
    }

    /** Logged in as {@code user} with a bearer token, INBOX selected. */
    static ImapPeek open(int port, String user, String token) throws IOException {
        ImapPeek p = new ImapPeek(port);
        String sasl = Base64.getEncoder().encodeToString(("user=" + user + "\u0001auth=Bearer " + token
                + "\u0001\u0001").getBytes(StandardCharsets.UTF_8));
        p.command("AUTHENTICATE XOAUTH2 " + sasl);
        p.command("SELECT INBOX");
        return p;
    }

    /** The one message whose subject contains {@code subject}, as IMAP serves it (CRLF line ends). */
    String message(String subject) throws IOException {
        List<String> search = command("UID SEARCH SUBJECT \"" + subject.replace("\"", "") + "\"");
        List<String> uids = new ArrayList<>();
        for (String l : search) {
            if (l.startsWith("* SEARCH")) {
                for (String u : l.substring(8).trim().split(" ")) {
                    if (!u.isEmpty()) {
                        uids.add(u);
                    }
                }
            }
        }
        assertEquals(1, uids.size(), "one message with the subject " + subject + ": " + search);
        int t = ++tag;
        send("a" + t + " UID FETCH " + uids.get(0) + " BODY.PEEK[]");
        byte[] body = null;
        String l;
        while (!(l = line()).startsWith("a" + t + " ")) {
            Matcher literal = Pattern.compile("\\{(\\d+)\\}$").matcher(l);
            if (literal.find()) {
                body = in.readNBytes(Integer.parseInt(literal.group(1)));
            }
        }
        assertTrue(l.startsWith("a" + t + " OK") && body != null, l);
        return new String(body, StandardCharsets.ISO_8859_1);
    }

    private List<String> command(String command) throws IOException {
        int t = ++tag;
        send("a" + t + " " + command);
        List<String> lines = new ArrayList<>();
        String l;
        while (!(l = line()).startsWith("a" + t + " ")) {
            lines.add(l);
        }
        assertTrue(l.startsWith("a" + t + " OK"), command.split(" ")[0] + ": " + l);
        return lines;
    }

    private void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            throw new IOException("IMAP connection closed");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        try {
            send("a" + (++tag) + " LOGOUT");
        } finally {
            socket.close();
        }
    }
}
