package org.envoi.api.provider;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule every OAuth2 endpoint of every flow passes, whatever its provider: https, or plain http only to this
 * machine (the client secret, the code and the refresh tokens go to these addresses). Loopback means
 * {@code localhost}, {@code 127.0.0.0/8} and {@code [::1]}, written as literals: a name is never resolved here, so a
 * DNS answer cannot turn another host into "this machine".
 */
public final class EndpointRule {

    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_LOOPBACK = Pattern.compile("\\[?(0{0,4}:){2,7}0{0,3}1]?");

    private EndpointRule() {
    }

    /** True for {@code localhost}, an address of 127.0.0.0/8 and {@code ::1} (with or without brackets). */
    public static boolean isLoopbackHost(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.equals("localhost.")) {
            return true;
        }
        var m = IPV4_LOOPBACK.matcher(h);
        if (m.matches()) {
            for (int i = 1; i <= 3; i++) {
                if (Integer.parseInt(m.group(i)) > 255) {
                    return false;
                }
            }
            return true;
        }
        return IPV6_LOOPBACK.matcher(h).matches();
    }

    /**
     * @return what is wrong with this endpoint, as a sentence saying what to do; empty when it passes
     */
    public static Optional<String> problem(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https") && uri.getHost() != null) {
            return Optional.empty();
        }
        if (scheme.equals("http") && isLoopbackHost(uri.getHost())) {
            return Optional.empty();
        }
        return Optional.of("'" + uri + "' must be an https address (plain http only to this machine: localhost,"
                + " 127.0.0.1 or [::1]), since the client secret, the code and the tokens go there");
    }

    /** The same check as a {@link FieldProblem} on {@code field}, for validation that lists every problem. */
    public static Optional<FieldProblem> problem(String field, URI uri) {
        return problem(uri).map(s -> new FieldProblem(field, s));
    }
}
