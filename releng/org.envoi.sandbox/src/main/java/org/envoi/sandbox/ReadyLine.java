package org.envoi.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one line the sandbox prints on standard output once every server listens: {@value #PREFIX} and a one-line JSON
 * object with what a client needs to use the sandbox (endpoints, client id, user, ports). The process that started
 * the sandbox waits for this line instead of guessing ports or polling; it holds no secret.
 */
final class ReadyLine {

    /** What the line starts with (note the space). */
    static final String PREFIX = "ENVOI-SANDBOX-READY ";

    private ReadyLine() {
    }

    static String of(OAuthEndpoints endpoints, String clientId, String user, int smtpPort, int imapPort,
            int pop3Port) {
        Map<String, Object> members = new LinkedHashMap<>();
        members.put("issuer", endpoints.issuer().toString());
        members.put("authorizationEndpoint", endpoints.authorizationEndpoint().toString());
        members.put("tokenEndpoint", endpoints.tokenEndpoint().toString());
        members.put("jwksUri", endpoints.jwksUri().toString());
        members.put("clientId", clientId);
        members.put("user", user);
        members.put("smtpPort", smtpPort);
        members.put("imapPort", imapPort);
        members.put("pop3Port", pop3Port);
        return PREFIX + json(members);
    }

    /** A JSON object of string and integer members, on one line. */
    static String json(Map<String, Object> members) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> member : members.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            string(out, member.getKey());
            out.append(':');
            Object value = member.getValue();
            if (value instanceof Integer || value instanceof Long) {
                out.append(value);
            } else {
                string(out, String.valueOf(value));
            }
        }
        return out.append('}').toString();
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
