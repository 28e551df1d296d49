package org.envoi.store.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import org.envoi.api.mail.Attachment;
import org.envoi.api.mail.OutgoingMail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An {@link OutgoingMail} as stored in the outbox: a 4-byte length, the JSON of everything but the attachment bytes,
 * then the attachments' bytes one after the other (no base64: a 100 KB PDF stays 100 KB and costs no encoding).
 */
final class MailCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MailCodec() {
    }

    static byte[] encode(OutgoingMail m) {
        byte[] head = head(m);
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(4 + head.length + attachmentBytes(m)));
        out.putInt(head.length).put(head);
        for (Attachment a : m.attachments()) {
            out.put(a.content());
        }
        m.mime().ifPresent(out::put);
        return out.array();
    }

    /** The same bytes as {@link #encode}, written straight from the mail's arrays (no copy of the attachments). */
    static void write(OutgoingMail m, java.nio.channels.WritableByteChannel out) throws IOException {
        byte[] head = head(m);
        ByteBuffer[] parts = new ByteBuffer[3 + m.attachments().size()];
        parts[0] = ByteBuffer.allocate(4).putInt(0, head.length);
        parts[1] = ByteBuffer.wrap(head);
        for (int i = 0; i < m.attachments().size(); i++) {
            parts[2 + i] = ByteBuffer.wrap(m.attachments().get(i).content());
        }
        parts[parts.length - 1] = ByteBuffer.wrap(m.mime().orElse(new byte[0]));
        for (ByteBuffer part : parts) {
            while (part.hasRemaining()) {
                out.write(part);
            }
        }
    }

    private static long attachmentBytes(OutgoingMail m) {
        long total = 0;
        for (Attachment a : m.attachments()) {
            total += a.content().length;
        }
        return total + m.mime().map(b -> b.length).orElse(0);
    }

    private static byte[] head(OutgoingMail m) {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", 1);
        n.put("messageId", m.messageId());
        n.put("from", m.from());
        strings(n.putArray("to"), m.to());
        strings(n.putArray("cc"), m.cc());
        strings(n.putArray("bcc"), m.bcc());
        n.put("subject", m.subject());
        n.put("body", m.body());
        n.put("html", m.html());
        n.put("priority", m.priority().name());
        m.readReceiptTo().ifPresent(r -> n.put("readReceiptTo", r));
        ArrayNode atts = n.putArray("attachments");
        for (Attachment a : m.attachments()) {
            ObjectNode an = atts.addObject().put("name", a.fileName()).put("type", a.mimeType())
                    .put("size", a.content().length);
            a.contentId().ifPresent(cid -> an.put("cid", cid));
        }
        // a relayed message's bytes follow the attachments' (none); older entries have no "mime"
        m.mime().ifPresent(b -> n.put("mime", b.length));
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static OutgoingMail decode(byte[] bytes) throws IOException {
        return read(new java.io.ByteArrayInputStream(bytes));
    }

    /**
     * Reads what {@link #encode} or {@link #write} wrote, each attachment straight into its own array.
     * @throws IOException when the bytes end early or are not a stored mail
     */
    static OutgoingMail read(java.io.InputStream in) throws IOException {
        java.io.DataInputStream data = new java.io.DataInputStream(in);
        int headLength = data.readInt();
        if (headLength <= 0 || headLength > 64 * 1024 * 1024) {
            throw new IOException("not a stored mail (head of " + headLength + " bytes)");
        }
        byte[] head = new byte[headLength];
        data.readFully(head);
        JsonNode n = JSON.readTree(head);
        List<Attachment> atts = new ArrayList<>();
        for (JsonNode a : n.get("attachments")) {
            byte[] content = new byte[a.get("size").asInt()];
            data.readFully(content);
            atts.add(new Attachment(a.get("name").asText(), a.get("type").asText(), content,
                    Optional.ofNullable(a.get("cid")).map(JsonNode::asText)));
        }
        Optional<byte[]> mime = Optional.empty();
        if (n.has("mime")) {
            byte[] b = new byte[n.get("mime").asInt()];
            data.readFully(b);
            mime = Optional.of(b);
        }
        return new OutgoingMail(n.get("messageId").asText(), n.get("from").asText(), strings(n.get("to")),
                strings(n.get("cc")), strings(n.get("bcc")), n.get("subject").asText(), n.get("body").asText(),
                n.get("html").asBoolean(), OutgoingMail.Priority.valueOf(n.get("priority").asText()),
                Optional.ofNullable(n.get("readReceiptTo")).map(JsonNode::asText), atts, mime);
    }

    private static void strings(ArrayNode into, List<String> values) {
        values.forEach(into::add);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
