package org.envoi.sandbox;

/**
 * The sandbox's command line. Every port defaults to 0 (a free port chosen by the system) so that several sandboxes,
 * or a sandbox next to a developer's own servers, never collide; a fixed port is only for people who want to point
 * another mail client at the sandbox.
 *
 * @param oauthPort port of the OAuth2 server, 0 for a free one
 * @param smtpPort port of the SMTP server, 0 for a free one
 * @param imapPort port of the IMAP server, 0 for a free one
 * @param pop3Port port of the POP3 server, 0 for a free one
 * @param help whether {@code --help} was asked
 */
record SandboxOptions(int oauthPort, int smtpPort, int imapPort, int pop3Port, boolean help) {

    /** The usage text printed by {@code --help}. */
    static final String USAGE = """
            Usage: java -cp 'lib/*' org.envoi.sandbox.SandboxMain [options]

            Starts, on 127.0.0.1 only, an OAuth2 server (issuer "sandbox") that signs the user demo@envoi.local in
            without a login form, and an SMTP, IMAP and POP3 server (no TLS) that accept that user with SASL XOAUTH2
            and an access token from that OAuth2 server. Mail is kept in memory.

            Once every server listens, one line is printed on standard output:
              ENVOI-SANDBOX-READY {"issuer":...,"authorizationEndpoint":...,"tokenEndpoint":...,"jwksUri":...,
                                   "clientId":...,"user":...,"smtpPort":N,"imapPort":N,"pop3Port":N}
            Logs go to standard error. The sandbox stops at the end of standard input (Ctrl-D), on Ctrl-C or SIGTERM.

            Options (every port defaults to 0: a free port):
              --oauth-port N   port of the OAuth2 server
              --smtp-port N    port of the SMTP server
              --imap-port N    port of the IMAP server
              --pop3-port N    port of the POP3 server
              --help           this text
            """;

    /**
     * Reads the command line: {@code --name N} or {@code --name=N}.
     *
     * @param args the arguments of {@code main}
     * @return the options
     * @throws IllegalArgumentException on an unknown option, a missing or bad port
     */
    static SandboxOptions parse(String... args) {
        int oauth = 0;
        int smtp = 0;
        int imap = 0;
        int pop3 = 0;
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                name = arg.substring(0, equals);
                value = arg.substring(equals + 1);
            }
            if (name.equals("--help") || name.equals("-h")) {
                help = true;
                continue;
            }
            if (!name.equals("--oauth-port") && !name.equals("--smtp-port") && !name.equals("--imap-port")
                    && !name.equals("--pop3-port")) {
                throw new IllegalArgumentException("unknown option " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a port number");
                }
                value = args[++i];
            }
            int port = port(name, value);
            switch (name) {
                case "--oauth-port" -> oauth = port;
                case "--smtp-port" -> smtp = port;
                case "--imap-port" -> imap = port;
                default -> pop3 = port;
            }
        }
        return new SandboxOptions(oauth, smtp, imap, pop3, help);
    }

    private static int port(String name, String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " needs a port number from 0 to 65535, not '" + value + "'");
    }
}
