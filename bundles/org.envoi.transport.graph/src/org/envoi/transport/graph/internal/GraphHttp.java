package org.envoi.transport.graph.internal;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.provider.EndpointRule;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.RetryLater;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** What the Graph transport and the Graph mailbox reader share: the endpoint, the calls, Graph's errors as ours. */
final class GraphHttp {

    static final String URL_KEY = "graph.url";
    static final String DEFAULT_URL = "https://graph.microsoft.com/v1.0";
    static final ObjectMapper JSON = new ObjectMapper();

    /** Redirects are not followed: a bearer token goes to the configured endpoint only. */
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** When Graph says 429/503 without Retry-After. */
    private static final Duration DEFAULT_RETRY = Duration.ofSeconds(60);

    private GraphHttp() {
    }

    /** Why {@code value} cannot be the Graph endpoint, or empty: https, or http to this machine only (tests). */
    static Optional<String> urlProblem(String value) {
        URI u;
        try {
            u = new URI(value.strip());
        } catch (URISyntaxException e) {
            return Optional.of("'" + value + "' is not a URL: give the Graph endpoint, " + DEFAULT_URL);
        }
        String host = u.getHost();
        if (host == null || u.getScheme() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
            return Optional.of("'" + value + "' is not a Graph endpoint URL: give " + DEFAULT_URL
                    + " (or a national cloud's, such as https://graph.microsoft.us/v1.0)");
        }
        if (u.getScheme().equalsIgnoreCase("https")) {
            return Optional.empty();
        }
        if (u.getScheme().equalsIgnoreCase("http") && EndpointRule.isLoopbackHost(host)) {
            return Optional.empty();
        }
        return Optional.of("'" + value + "' is not https: the bearer token would travel in clear. Give an https URL"
                + " such as " + DEFAULT_URL + " (plain http is allowed only to this machine, for tests)");
    }

    /** The flow's endpoint without a trailing slash. @throws EnvoiException INVALID_FLOW_DATA on graph.url */
    static String base(Flow flow) {
        String v = flow.settings().getOrDefault(URL_KEY, "");
        String url = v.isBlank() ? DEFAULT_URL : v.strip();
        urlProblem(url).ifPresent(p -> {
            throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, URL_KEY, "The flow " + flow.name() + "'s "
                    + URL_KEY + ": " + p + ".", null);
        });
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** The path of the mailbox a call works on: {@code /me}, or {@code /users/{address}}. */
    static String mailbox(Optional<String> address) {
        return address.map(a -> "/users/" + URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20"))
                .orElse("/me");
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Runs {@code use} with the route's bearer token; a token Graph refuses is handed back and the fresh one used once
     * ({@code Logins.withRenewal}); a fresh token refused too is CONSENT_REQUIRED: only a new sign-in helps.
     */
    static <T> T withToken(MailRoute route, Function<String, T> use) {
        try {
            return route.logins().withRenewal(login -> use.apply(token(route, login)));
        } catch (EnvoiException e) {
            if (e.code() != ErrorCode.MAIL_AUTH_FAILED) {
                throw e;
            }
            throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, null, "Microsoft Graph refused a fresh token of "
                    + route.mailUser() + " for the flow " + route.flow().name() + " too (" + e.getMessage()
                    .replaceAll("\\.$", "") + "). The operator must sign in to the flow again (consent); the mail"
                    + " stays queued.", e);
        }
    }

    private static String token(MailRoute route, MailLogin login) {
        if (login instanceof MailLogin.Bearer b) {
            return b.token();
        }
        throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "transport", "The flow " + route.flow().name()
                + " logs in with a password, which Microsoft Graph does not take: make it an OAuth2 flow, or send"
                + " it over SMTP.", null);
    }

    static HttpRequest.Builder request(String url, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    /** @throws EnvoiException MAIL_UNAVAILABLE when Graph cannot be reached */
    static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return CLIENT.send(request, handler);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph (" + request.uri().getHost()
                    + ") cannot be reached: " + e + ". Envoi tries again later; check the network and the flow's "
                    + URL_KEY + ".", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Interrupted while calling Microsoft Graph.",
                    e);
        }
    }

    static JsonNode json(String body) {
        try {
            return JSON.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    /**
     * Graph's refusal ({"error":{"code","message"}}, https://learn.microsoft.com/en-us/graph/errors) as our error.
     *
     * @param what what was asked, for example "the mail 8f1c@envoi"
     * @param route who asked
     */
    static EnvoiException failure(String what, HttpResponse<?> r, String body, MailRoute route) {
        JsonNode err = json(body).path("error");
        String code = err.path("code").asText("");
        String said = "HTTP " + r.statusCode() + (code.isEmpty() ? "" : " " + code)
                + (err.path("message").asText("").isEmpty() ? "" : ": " + err.path("message").asText());
        int s = r.statusCode();
        String user = route.mailUser();
        if (s == 401) {
            return new EnvoiException(ErrorCode.MAIL_AUTH_FAILED, null, "Microsoft Graph refused the token of " + user
                    + " for " + what + " (" + said + ").", null);
        }
        if (s == 429 || s == 503) {
            Duration after = r.headers().firstValue("Retry-After").map(GraphHttp::seconds).orElse(DEFAULT_RETRY);
            return new RetryLater("Microsoft Graph is busy and asks to come back in " + after.toSeconds() + " s ("
                    + said + "); " + what + " waits until then.", after);
        }
        if (code.equals("MailboxNotEnabledForRESTAPI")) {
            return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "Microsoft Graph cannot reach the mailbox of "
                    + user + " for " + what + " (" + said + "): it is on-premises, inactive or has no Exchange Online"
                    + " license. Give it a license (Microsoft 365 admin center), or send this flow over SMTP.", null);
        }
        if (code.equals("ErrorSendAsDenied")) {
            String as = route.sharedMailbox().orElse("the mail's sender");
            String who = "the account operator " + route.operatorId() + " signed in with";
            return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "Microsoft Graph refused " + what + ": " + who
                    + " lacks \"Send As\" on the mailbox " + as + " (" + said + "). Ask that mailbox's administrator"
                    + " to give it \"Send As\" (Exchange admin center, the mailbox's delegation), or sign in to the"
                    + " flow with an account that has it; then retry the mail.", null);
        }
        if (code.equals("ErrorAccessDenied") || s == 403) {
            return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "Microsoft Graph denied " + what + " to " + user
                    + " (" + said + "): the token lacks the permission this call needs (Mail.Send to send,"
                    + " Mail.ReadWrite for a mail over 4 MB, Mail.Read to read). Add it to the app registration's API"
                    + " permissions, have an administrator consent, and sign in again.", null);
        }
        if (s == 413) {
            return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "Microsoft Graph refused " + what
                    + " as too large (" + said + "). Graph takes at most 150 MB per attachment: send smaller files, or"
                    + " set the flow's large-file store.", null);
        }
        if (s == 404 && route.sharedMailbox().isPresent() && (code.equals("ErrorInvalidUser")
                || code.equals("ResourceNotFound") || code.equals("MailboxNotFound"))) {
            return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "genericAddress", "Microsoft Graph knows no mailbox "
                    + route.sharedMailbox().get() + " (" + said + "): correct the flow's shared mailbox address.",
                    null);
        }
        if (s == 400 && err.path("message").asText("").startsWith("Resource not found for the segment")) {
            return new EnvoiException(ErrorCode.INVALID_FLOW_DATA, URL_KEY, "The flow " + route.flow().name()
                    + "'s " + URL_KEY + " does not lead to Graph's v1.0 API (" + said + "): give " + DEFAULT_URL
                    + ".", null);
        }
        if (s >= 500) {
            return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Microsoft Graph failed on " + what + " ("
                    + said + "); Envoi tries again later.", null);
        }
        return new EnvoiException(ErrorCode.MAIL_REJECTED, null, "Microsoft Graph refused " + what + " (" + said
                + "). Correct what Graph names, then retry the mail.", null);
    }

    /** Retry-After: seconds (Graph's form) or an HTTP date. */
    private static Duration seconds(String v) {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(v.strip())));
        } catch (NumberFormatException e) {
            try {
                java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(v.strip(),
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (java.time.format.DateTimeParseException e2) {
                return DEFAULT_RETRY;
            }
        }
    }
}
