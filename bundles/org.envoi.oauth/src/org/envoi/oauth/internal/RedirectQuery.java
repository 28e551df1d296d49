package org.envoi.oauth.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.oauth.AuthorizationResponse;

/** Parses the query of a redirect ({@code code}, {@code state}, {@code error}, {@code error_description}). */
final class RedirectQuery {

    private RedirectQuery() {
    }

    static Map<String, String> parse(String rawQuery) {
        Map<String, String> out = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(name, value);
        }
        return out;
    }

    static AuthorizationResponse toResponse(Map<String, String> q) {
        return new AuthorizationResponse(Optional.ofNullable(q.get("code")), q.getOrDefault("state", ""),
                Optional.ofNullable(q.get("error")), Optional.ofNullable(q.get("error_description")));
    }
}
