package org.envoi.oauth.internal;

import java.io.IOException;
import java.net.URI;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.scribejava.core.extractors.DeviceAuthorizationJsonExtractor;
import com.github.scribejava.core.extractors.TokenExtractor;
import com.github.scribejava.core.model.DeviceAuthorization;
import com.github.scribejava.core.model.OAuth2AccessToken;
import com.github.scribejava.core.model.Response;

/**
 * Reads token-endpoint answers in place of ScribeJava's extractors, which reject unknown error codes
 * ({@code disallowed_useragent}...) and keep the raw body (with the tokens) inside tokens and exceptions.
 */
final class TokenResponseReader implements TokenExtractor<OAuth2AccessToken> {

    static final ObjectMapper JSON = new ObjectMapper();
    static final TokenResponseReader TOKENS = new TokenResponseReader();
    static final DeviceCodeReader DEVICE = new DeviceCodeReader();

    @Override
    public OAuth2AccessToken extract(Response response) throws IOException {
        JsonNode body = parse(response);
        String access = text(body, "access_token");
        if (access == null || access.isEmpty()) {
            throw new TokenEndpointError(response.getCode(), "invalid_response",
                    "the answer holds no access_token");
        }
        Integer expiresIn = body.hasNonNull("expires_in") ? body.get("expires_in").asInt() : null;
        // the raw response is deliberately not kept: it would carry the tokens into logs and heap dumps
        return new OAuth2AccessToken(access, text(body, "token_type"), expiresIn, text(body, "refresh_token"),
                text(body, "scope"), "");
    }

    /** The body as JSON when the status is 2xx; otherwise a {@link TokenEndpointError} with the OAuth error. */
    static JsonNode parse(Response response) throws IOException {
        String raw = response.getBody();
        JsonNode body;
        try {
            body = raw == null || raw.isBlank() ? JSON.createObjectNode() : JSON.readTree(raw);
        } catch (IOException e) {
            body = JSON.createObjectNode();
        }
        if (response.getCode() < 200 || response.getCode() >= 300) {
            throw new TokenEndpointError(response.getCode(), text(body, "error"), text(body, "error_description"));
        }
        return body;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** RFC 8628 device authorization answers, errors included. */
    static final class DeviceCodeReader extends DeviceAuthorizationJsonExtractor {

        @Override
        public DeviceAuthorization extract(Response response) throws IOException {
            JsonNode body = parse(response);
            String deviceCode = required(body, "device_code");
            String userCode = required(body, "user_code");
            // RFC 8628 names it verification_uri; Google answers verification_url
            String uri = text(body, "verification_uri") != null ? text(body, "verification_uri")
                    : text(body, "verification_url");
            if (uri == null || uri.isBlank()) {
                throw malformed("has no verification_uri (nor verification_url), the address where the operator"
                        + " enters the code");
            }
            if (!isWebAddress(uri)) {
                throw malformed("gives a verification_uri that is not a web address");
            }
            DeviceAuthorization d = new DeviceAuthorization(deviceCode, userCode, uri,
                    body.hasNonNull("expires_in") ? body.get("expires_in").asInt() : 600);
            if (body.hasNonNull("interval")) {
                d.setIntervalSeconds(body.get("interval").asInt());
            }
            String complete = text(body, "verification_uri_complete");
            if (complete != null && isWebAddress(complete)) { // optional: a broken one is left out, not fatal
                d.setVerificationUriComplete(complete);
            }
            return d;
        }

        private static String required(JsonNode body, String field) {
            String v = text(body, field);
            if (v == null || v.isBlank()) {
                throw malformed("has no " + field);
            }
            return v;
        }

        private static boolean isWebAddress(String s) {
            try {
                URI u = URI.create(s);
                return u.getHost() != null && ("https".equalsIgnoreCase(u.getScheme())
                        || "http".equalsIgnoreCase(u.getScheme()));
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        /** The endpoint answered 2xx with something that is not an RFC 8628 answer: say which field is wrong. */
        private static EnvoiException malformed(String what) {
            return new EnvoiException(ErrorCode.OAUTH_FAILED, "The device endpoint's answer " + what + ", so the"
                    + " device sign-in cannot start: check the flow's device URL (the provider's device authorization"
                    + " endpoint) or use the browser sign-in.");
        }

        @Override
        public void generateError(Response response) throws IOException {
            parse(response);
            throw new TokenEndpointError(response.getCode(), "invalid_response", null);
        }
    }
}
