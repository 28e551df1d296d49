package org.envoi.api.tests.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real mail servers for the tests, from Debian's packages, each with its own configuration under a test folder and
 * listening on 127.0.0.1 high ports (and, for the TLS tests, 127.0.0.2 and 127.0.0.3: {@link #tlsOnly},
 * {@link #otherName}): Dovecot (IMAP, POP3, LMTP, SASL auth) whose {@code oauth2} passdb validates
 * bearer tokens by introspection at a real OAuth server, plus a password user; Postfix (needs root) authenticating
 * through Dovecot SASL and delivering to Dovecot over LMTP. Users: alice, bob, eve (tokens whose {@code sub} is the
 * user), carol (password {@value #CAROL_PASSWORD}); domain {@value #DOMAIN}.
 */
public final class MailServers implements AutoCloseable {

    public static final String DOMAIN = "example.test";
    public static final String CAROL_PASSWORD = "carol-pw";
    /** A recipient the SMTP server answers with 450 4.7.500 (throttling). */
    public static final String THROTTLED = "throttled@" + DOMAIN;
    /** A recipient the SMTP server refuses for good (550 5.7.1). */
    public static final String REFUSED = "refused@" + DOMAIN;
    /** The scope a bearer token must carry (introspection's {@code scope}), as Microsoft's IMAP.AccessAsUser.All. */
    public static final String MAIL_SCOPE = "mail";
    /** The audience a bearer token must be issued for (introspection's {@code aud}), as https://outlook.office.com. */
    public static final String MAIL_AUDIENCE = "mail";

    public final int smtpPort = TestServers.freePort();
    public final int imapPort = TestServers.freePort();
    public final int pop3Port = TestServers.freePort();
    /** Implicit TLS ports (SMTPS, IMAPS, POP3S), certificates signed by {@link #certificateAuthority()}. */
    public final int smtpsPort = TestServers.freePort();
    public final int imapsPort = TestServers.freePort();
    public final int pop3sPort = TestServers.freePort();
    /**
     * Dovecot's submission service (RFC 6409), default settings: it checks bearer tokens as IMAP does and relays
     * through Postfix; it answers an AUTH line over 512 octets {@code 500 5.5.2 Line too long}.
     */
    public final int submissionPort = TestServers.freePort();
    /**
     * A shared mailbox (no login of its own): alice holds "Send As" rights on it, nobody else does. Only
     * {@link #senderCheckedSmtpPort} checks them.
     */
    public static final String SHARED_MAILBOX = "factures@" + DOMAIN;
    /**
     * Postfix's SMTP listener as the shared-mailbox tests need it: besides the main one's settings, the sender must be
     * one the SASL login may send as ({@code smtpd_sender_login_maps} + {@code reject_sender_login_mismatch}, answered
     * at RCPT TO {@code 553 5.7.1 <address>: Sender address rejected: not owned by user eve}), as Microsoft 365 checks
     * "Send As" rights: every user may send as their own address, alice also as {@link #SHARED_MAILBOX}.
     */
    public final int senderCheckedSmtpPort = TestServers.freePort();
    /** Postfix's listener for Dovecot's submission relay only: no SASL, clients of 127.0.0.0/8 may relay. */
    private final int relayPort = TestServers.freePort();
    private final int lmtpPort = TestServers.freePort();
    private final int authPort = TestServers.freePort();
    /** Where {@link #tlsOnly} listens: not 127.0.0.1, see there. */
    public static final String TLS_ONLY_HOST = "127.0.0.2";
    /** Where {@link #otherName} listens. */
    public static final String OTHER_NAME_HOST = "127.0.0.3";
    /** The only name in the certificate {@link #otherName} serves (signed by the same test CA). */
    public static final String OTHER_NAME = "other.example";
    /**
     * The listeners of the TLS tests, on {@value #TLS_ONLY_HOST}: they refuse every login before TLS, as Microsoft's
     * and Google's do. Postfix on the submission-style port: {@code smtpd_tls_security_level=encrypt} and {@code
     * smtpd_tls_auth_only=yes}; Dovecot: {@code ssl = required} and {@code disable_plaintext_auth = yes} (its
     * default). Not on 127.0.0.1: Dovecot counts a connection whose client address equals its own address as secured
     * (login-common's {@code client->secured}) and lets it log in without TLS; the tests' client comes from
     * 127.0.0.1 (the kernel's source address for 127.0.0.0/8) to 127.0.0.2. The certificate names 127.0.0.2.
     */
    public final TlsListeners tlsOnly = TlsListeners.on(TLS_ONLY_HOST);
    /**
     * The same as {@link #tlsOnly} on {@value #OTHER_NAME_HOST}, serving a certificate the test CA signed for
     * {@value #OTHER_NAME} only: a client must refuse it for the host name it connects to.
     */
    public final TlsListeners otherName = TlsListeners.on(OTHER_NAME_HOST);
    /** Postfix SMTPS on {@value #TLS_ONLY_HOST} with a certificate of the test CA for that address, expired yesterday. */
    public final int expiredSmtpsPort = TestServers.freePort();
    /**
     * Postfix on {@value #TLS_ONLY_HOST} with STARTTLS (the test CA's certificate) but no AUTH, as an MX on port 25 or
     * a relay that trusts addresses: it takes no login, and relays for nobody.
     */
    public final int noAuthSmtpPort = TestServers.freePort();
    private final Path base;
    private final List<Process> processes = new ArrayList<>();

    /** Six listeners on one address: STARTTLS and implicit TLS for SMTP, IMAP and POP3. */
    public record TlsListeners(String host, int smtp, int smtps, int imap, int imaps, int pop3, int pop3s) {

        static TlsListeners on(String host) {
            return new TlsListeners(host, TestServers.freePort(), TestServers.freePort(), TestServers.freePort(),
                    TestServers.freePort(), TestServers.freePort(), TestServers.freePort());
        }
    }

    private MailServers(Path base) {
        this.base = base.toAbsolutePath();
    }

    /**
     * Starts Dovecot then Postfix, both checked by their greeting.
     *
     * @param introspectionUrl the OAuth server's token introspection endpoint
     */
    public static MailServers start(Path base, String introspectionUrl) {
        for (String tool : List.of("/usr/sbin/dovecot", "/usr/lib/postfix/sbin/master", "/etc/postfix/post-install")) {
            if (!Files.isExecutable(Path.of(tool))) {
                TestServers.missing(tool + " is not installed: apt-get install dovecot-core dovecot-imapd"
                        + " dovecot-pop3d dovecot-lmtpd postfix (.ci/run does)");
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            TestServers.missing("Postfix needs root to run; these tests run as " + System.getProperty("user.name"));
        }
        try {
            return startOn(base, introspectionUrl);
        } catch (RuntimeException first) {
            // the free ports are chosen before the servers bind them: another listener (an H2 auto-server, a test
            // server of another test) may have taken one meanwhile. Once more, on new ports, in a new folder.
            System.err.println("Envoi test mail servers did not start (" + first.getMessage()
                    + "); trying once more on other ports");
            try {
                return startOn(base.resolveSibling(base.getFileName() + "-again"), introspectionUrl);
            } catch (RuntimeException second) {
                second.addSuppressed(first);
                throw second;
            }
        }
    }

    private static MailServers startOn(Path base, String introspectionUrl) {
        MailServers s = new MailServers(base);
        try {
            s.makeTraversable();
            s.makeCertificates();
            s.startDovecot(introspectionUrl);
            s.startPostfix();
        } catch (IOException e) {
            s.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * Postfix and Dovecot drop to their own users (postfix, dovecot): they must be able to traverse the test folder,
     * which JUnit creates 0700.
     */
    private void makeTraversable() throws IOException {
        Files.createDirectories(base);
        for (Path p = base; p != null; p = p.getParent()) {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE);
                perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    /** The test certificate authority (PEM) that signed the servers' certificate for localhost and 127.0.0.1. */
    public Path certificateAuthority() {
        return base.resolve("tls/ca.pem");
    }

    private void makeCertificates() throws IOException {
        Path t = Files.createDirectories(base.resolve("tls"));
        Files.writeString(t.resolve("san.ext"), "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:" + TLS_ONLY_HOST + "\n"
                + "extendedKeyUsage = serverAuth\n");
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=Envoi Test CA", "-keyout", t.resolve("ca.key").toString(), "-out", t.resolve("ca.pem").toString()),
                t.resolve("openssl.log"));
        run(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
                t.resolve("server.key").toString(), "-out", t.resolve("server.csr").toString()), t.resolve("openssl2.log"));
        run(List.of("openssl", "x509", "-req", "-in", t.resolve("server.csr").toString(), "-CA", t.resolve("ca.pem")
                .toString(), "-CAkey", t.resolve("ca.key").toString(), "-CAcreateserial", "-days", "2", "-extfile",
                t.resolve("san.ext").toString(), "-out", t.resolve("server.pem").toString()), t.resolve("openssl3.log"));
        makeOtherNameCertificate(t);
        makeExpiredCertificate(t);
        // Postfix and Dovecot read the key as their own users
        for (String f : List.of("server.key", "server.pem", "ca.pem", "other.key", "other.pem", "expired.key",
                "expired.pem")) {
            Files.setPosixFilePermissions(t.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** A certificate of the same CA for {@value #OTHER_NAME} only, served on {@link #otherName}. */
    private static void makeOtherNameCertificate(Path t) throws IOException {
        Files.writeString(t.resolve("other.ext"), "subjectAltName = DNS:" + OTHER_NAME + "\n"
                + "extendedKeyUsage = serverAuth\n");
        // an EC key: made in milliseconds, where RSA 2048 costs up to half a second at every start
        run(List.of("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=" + OTHER_NAME, "-keyout", t.resolve("other.key").toString(), "-out", t.resolve("other.csr")
                        .toString()), t.resolve("openssl4.log"));
        run(List.of("openssl", "x509", "-req", "-in", t.resolve("other.csr").toString(), "-CA", t.resolve("ca.pem")
                .toString(), "-CAkey", t.resolve("ca.key").toString(), "-CAcreateserial", "-days", "2", "-extfile",
                t.resolve("other.ext").toString(), "-out", t.resolve("other.pem").toString()), t.resolve("openssl5.log"));
    }

    /** A certificate of the same CA for {@value #TLS_ONLY_HOST} whose validity ended a day ago. */
    private static void makeExpiredCertificate(Path t) throws IOException {
        Files.writeString(t.resolve("expired.ext"), "subjectAltName = IP:" + TLS_ONLY_HOST + "\n"
                + "extendedKeyUsage = serverAuth\n");
        run(List.of("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                "/CN=expired", "-keyout", t.resolve("expired.key").toString(), "-out", t.resolve("expired.csr")
                        .toString()), t.resolve("openssl6.log"));
        run(List.of("openssl", "x509", "-req", "-in", t.resolve("expired.csr").toString(), "-CA", t.resolve("ca.pem")
                .toString(), "-CAkey", t.resolve("ca.key").toString(), "-CAcreateserial", "-days", "-1", "-extfile",
                t.resolve("expired.ext").toString(), "-out", t.resolve("expired.pem").toString()), t.resolve(
                        "openssl7.log"));
    }

    /**
     * Dovecot's part of {@link #tlsOnly} and {@link #otherName}: settings per local address ({@code local} blocks,
     * which login processes apply by the address a client reached), listeners added to the login services.
     */
    private String tlsDovecotConf() {
        StringBuilder c = new StringBuilder();
        for (TlsListeners l : List.of(tlsOnly, otherName)) {
            c.append("local ").append(l.host()).append(" {\n  ssl = required\n  disable_plaintext_auth = yes\n");
            if (l == otherName) {
                c.append("  ssl_cert = <").append(base.resolve("tls/other.pem")).append("\n  ssl_key = <")
                        .append(base.resolve("tls/other.key")).append('\n');
            }
            c.append("}\n");
            String name = l == tlsOnly ? "tls_only" : "other_name";
            c.append(String.format("service imap-login {%n  inet_listener imap_%1$s {%n    address = %2$s%n"
                    + "    port = %3$d%n  }%n  inet_listener imaps_%1$s {%n    address = %2$s%n    port = %4$d%n"
                    + "    ssl = yes%n  }%n}%n", name, l.host(), l.imap(), l.imaps()));
            c.append(String.format("service pop3-login {%n  inet_listener pop3_%1$s {%n    address = %2$s%n"
                    + "    port = %3$d%n  }%n  inet_listener pop3s_%1$s {%n    address = %2$s%n    port = %4$d%n"
                    + "    ssl = yes%n  }%n}%n", name, l.host(), l.pop3(), l.pop3s()));
        }
        return c.toString();
    }

    /**
     * Postfix's part of {@link #tlsOnly} and {@link #otherName}: a submission-style port (STARTTLS before anything,
     * AUTH only after it) and an SMTPS port on each address.
     */
    private String tlsMasterCf() {
        StringBuilder out = new StringBuilder();
        for (TlsListeners l : List.of(tlsOnly, otherName)) {
            String cert = l == otherName ? "  -o smtpd_tls_cert_file=" + base.resolve("tls/other.pem")
                    + "\n  -o smtpd_tls_key_file=" + base.resolve("tls/other.key") + "\n" : "";
            out.append(l.host()).append(':').append(l.smtp()).append("  inet  n  -  n  -  -  smtpd\n")
                    .append("  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_auth_only=yes\n").append(cert);
            out.append(l.host()).append(':').append(l.smtps()).append("  inet  n  -  n  -  -  smtpd\n")
                    .append("  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n").append(cert);
        }
        out.append(TLS_ONLY_HOST).append(':').append(noAuthSmtpPort).append("  inet  n  -  n  -  -  smtpd\n")
                .append("  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=no\n");
        out.append(TLS_ONLY_HOST).append(':').append(expiredSmtpsPort).append("  inet  n  -  n  -  -  smtpd\n")
                .append("  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n")
                .append("  -o smtpd_tls_cert_file=").append(base.resolve("tls/expired.pem")).append('\n')
                .append("  -o smtpd_tls_key_file=").append(base.resolve("tls/expired.key")).append('\n');
        return out.toString();
    }

    private void startDovecot(String introspectionUrl) throws IOException {
        Path d = base.resolve("dovecot");
        Files.createDirectories(d.resolve("run"));
        Files.createDirectories(d.resolve("state"));
        Path mail = Files.createDirectories(base.resolve("mail"));
        owner(mail, "dovecot");
        // Basic credentials in the URL: mock-oauth2-server wants them in the header, Dovecot sends them there so
        String url = introspectionUrl.replaceFirst("^http://", "http://dovecot:dovecot-secret@");
        // Dovecot 2.3's oauth2 passdb checks one attribute value (active_attribute) and the scope (scope: one of these
        // in the answer's "scope", or in "aud" only when there is no "scope"); it compares client_id with nothing and
        // reads issuers only in local JWT validation. So two passdbs in a row: active + user + scope, then the
        // audience in place of "active" (a token without aud, or with several, which 2.3 does not read, would pass:
        // the test server's tokens have one). Microsoft and Google refuse a token of another resource or scope too.
        Files.writeString(d.resolve("oauth2.conf"), String.join("\n",
                "introspection_mode = post",
                "introspection_url = " + url,
                "client_id = dovecot",
                "client_secret = dovecot-secret",
                "username_attribute = sub",
                "active_attribute = active",
                "active_value = true",
                "scope = " + MAIL_SCOPE, ""));
        Files.writeString(d.resolve("oauth2-audience.conf"), String.join("\n",
                "introspection_mode = post",
                "introspection_url = " + url,
                "client_id = dovecot",
                "client_secret = dovecot-secret",
                "username_attribute = sub",
                "active_attribute = aud",
                "active_value = " + MAIL_AUDIENCE, ""));
        Files.writeString(d.resolve("passwd"), "carol:{PLAIN}" + CAROL_PASSWORD + "::::::\n");
        Files.writeString(d.resolve("dovecot.conf"), """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                protocols = imap pop3 lmtp submission
                submission_relay_host = 127.0.0.1
                submission_relay_port = %11$d
                listen = 127.0.0.1
                ssl = yes
                ssl_cert = <%8$s/server.pem
                ssl_key = <%8$s/server.key
                disable_plaintext_auth = no
                auth_mechanisms = xoauth2 oauthbearer plain login
                auth_failure_delay = 0
                auth_verbose = yes
                default_internal_user = dovecot
                default_login_user = dovenull
                mail_location = maildir:%2$s/%%n
                first_valid_uid = 1
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2 oauthbearer
                  args = %1$s/oauth2.conf
                  result_success = continue
                  result_failure = return-fail
                  result_internalfail = return-fail
                }
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2 oauthbearer
                  args = %1$s/oauth2-audience.conf
                }
                passdb {
                  driver = passwd-file
                  mechanisms = plain login
                  args = scheme=PLAIN username_format=%%n %1$s/passwd
                }
                userdb {
                  driver = static
                  args = uid=dovecot gid=dovecot home=%2$s/%%n allow_all_users=yes
                }
                service imap-login {
                  inet_listener imap {
                    address = 127.0.0.1
                    port = %3$d
                  }
                  inet_listener imaps {
                    address = 127.0.0.1
                    port = %9$d
                    ssl = yes
                  }
                }
                service pop3-login {
                  inet_listener pop3 {
                    address = 127.0.0.1
                    port = %4$d
                  }
                  inet_listener pop3s {
                    address = 127.0.0.1
                    port = %10$d
                    ssl = yes
                  }
                }
                service submission-login {
                  inet_listener submission {
                    address = 127.0.0.1
                    port = %12$d
                  }
                }
                service lmtp {
                  inet_listener lmtp {
                    address = 127.0.0.1
                    port = %5$d
                  }
                }
                service auth {
                  inet_listener auth {
                    address = 127.0.0.1
                    port = %6$d
                  }
                }
                service anvil {
                  unix_listener anvil-auth-penalty {
                    mode = 0
                  }
                }
                protocol lmtp {
                  postmaster_address = postmaster@%7$s
                }
                """.formatted(d, mail, imapPort, pop3Port, lmtpPort, authPort, DOMAIN, base.resolve("tls"), imapsPort,
                        pop3sPort, relayPort, submissionPort) + tlsDovecotConf());
        processes.add(new ProcessBuilder("/usr/sbin/dovecot", "-F", "-c", d.resolve("dovecot.conf").toString())
                .redirectErrorStream(true).redirectOutput(d.resolve("foreground.log").toFile()).start());
        awaitGreeting(imapPort, "* OK", "Dovecot IMAP", d.resolve("dovecot.log"));
        awaitGreeting(lmtpPort, "220", "Dovecot LMTP", d.resolve("dovecot.log"));
        awaitGreeting(submissionPort, "220", "Dovecot submission", d.resolve("dovecot.log"));
        awaitGreeting(otherName.host(), otherName.pop3(), "+OK", "Dovecot POP3 on " + otherName.host(), d.resolve(
                "dovecot.log"));
    }

    private void startPostfix() throws IOException {
        Path p = base.resolve("postfix");
        Path queue = p.resolve("queue");
        Files.createDirectories(p.resolve("data"));
        owner(p.resolve("data"), "postfix");
        Files.createDirectories(queue.resolve("pid"));
        Files.writeString(p.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "meta_directory = /etc/postfix",
                "queue_directory = " + queue,
                "data_directory = " + p.resolve("data"),
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = envoi.test",
                "mydomain = envoi.test",
                "myorigin = envoi.test",
                "mydestination =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtp_dns_support_level = disabled",
                "maillog_file_prefixes = " + base.getRoot().resolve(base.getName(0)),
                "maillog_file = " + p.resolve("maillog"),
                "virtual_mailbox_domains = " + DOMAIN,
                "virtual_transport = lmtp:inet:127.0.0.1:" + lmtpPort,
                "smtpd_sasl_auth_enable = yes",
                "smtpd_sasl_type = dovecot",
                "smtpd_sasl_path = inet:127.0.0.1:" + authPort,
                "smtpd_sasl_security_options = noanonymous",
                "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
                // two recipients that answer as busy or refusing servers do (Microsoft throttles with 4.7.x)
                "smtpd_recipient_restrictions = check_recipient_access inline:{ {" + THROTTLED + "=450 4.7.500"
                        + " Server busy. Please try again later} {" + REFUSED + "=550 5.7.1 Recipient refused by"
                        + " policy} }, permit_sasl_authenticated, reject",
                // STARTTLS offered on the submission port, implicit TLS on the smtps one (see master.cf)
                "smtpd_tls_security_level = may",
                "smtpd_tls_cert_file = " + base.resolve("tls/server.pem"),
                "smtpd_tls_key_file = " + base.resolve("tls/server.key"),
                // line_length_limit stays at its default (2048), as on real relays: a client must not put a
                // 2-4 KB token on the AUTH line (RFC 5321's 512 octets), see BearerSaslClient
                "message_size_limit = 52428800",
                "biff = no",
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =", ""));
        StringBuilder logins = new StringBuilder(SHARED_MAILBOX + " alice\n"); // sender -> the logins that may use it
        for (String user : List.of("alice", "bob", "carol", "eve")) {
            logins.append(address(user)).append(' ').append(user).append('\n');
        }
        Files.writeString(p.resolve("sender-logins"), logins);
        Files.writeString(p.resolve("master.cf"), masterCf());
        run(List.of("/etc/postfix/post-install", "config_directory=" + p, "queue_directory=" + queue,
                "data_directory=" + p.resolve("data"), "command_directory=/usr/sbin",
                "daemon_directory=/usr/lib/postfix/sbin", "mail_owner=postfix", "setgid_group=postdrop",
                "meta_directory=/etc/postfix", "create-missing"), p.resolve("post-install.log"));
        processes.add(new ProcessBuilder("/usr/lib/postfix/sbin/master", "-c", p.toString(), "-d")
                .redirectErrorStream(true).redirectOutput(p.resolve("master.log").toFile()).start());
        awaitGreeting(smtpPort, "220", "Postfix SMTP", p.resolve("maillog"));
        awaitGreeting(otherName.host(), otherName.smtp(), "220", "Postfix SMTP on " + otherName.host(), p.resolve(
                "maillog"));
    }

    /** Debian's master.cf with our SMTP port, no chroot, and without the pipe transports. */
    private String masterCf() throws IOException {
        StringBuilder out = new StringBuilder();
        boolean skipping = false;
        for (String line : Files.readAllLines(Path.of("/usr/share/postfix/master.cf.dist"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            if (line.startsWith(" ")) {
                if (!skipping) {
                    out.append(line).append('\n');
                }
                continue;
            }
            String[] f = line.trim().split("\\s+");
            skipping = f.length > 7 && f[7].equals("pipe");
            if (skipping) {
                continue;
            }
            boolean smtpd = f[0].equals("smtp") && f[1].equals("inet");
            if (smtpd) {
                f[0] = "127.0.0.1:" + smtpPort;
            }
            if (f.length > 4) {
                f[4] = "n";
            }
            out.append(String.join("  ", f)).append('\n');
            if (smtpd) {
                out.append("127.0.0.1:").append(smtpsPort).append("  inet  n  -  n  -  -  smtpd\n")
                        .append("  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n");
                out.append("127.0.0.1:").append(relayPort).append("  inet  n  -  n  -  -  smtpd\n")
                        .append("  -o smtpd_sasl_auth_enable=no\n  -o smtpd_relay_restrictions=permit_mynetworks,reject\n")
                        .append("  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
                out.append("127.0.0.1:").append(senderCheckedSmtpPort).append("  inet  n  -  n  -  -  smtpd\n")
                        .append("  -o smtpd_sender_login_maps=texthash:").append(base.resolve("postfix/sender-logins"))
                        .append("\n  -o smtpd_sender_restrictions=reject_sender_login_mismatch\n");
            }
        }
        out.append(tlsMasterCf());
        return out.toString();
    }

    private static void run(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command.get(0) + " failed; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void owner(Path dir, String user) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal u = lookup.lookupPrincipalByName(user);
        GroupPrincipal g = lookup.lookupPrincipalByGroupName(user);
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        view.setOwner(u);
        view.setGroup(g);
    }

    private static void awaitGreeting(int port, String prefix, String what, Path log) {
        awaitGreeting("127.0.0.1", port, prefix, what, log);
    }

    private static void awaitGreeting(String host, int port, String prefix, String what, Path log) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                s.setSoTimeout(3000);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[256];
                int n = in.read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith(prefix)) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException(what + " did not greet on " + host + ":" + port + " within 30 s; see " + log);
    }

    /** The address of a test user. */
    public static String address(String user) {
        return user + "@" + DOMAIN;
    }

    /**
     * Puts {@code count} small messages straight into a user's Maildir (as a long-lived mailbox would hold them),
     * owned by Dovecot's user; much faster than delivering them one by one.
     */
    public void fillMaildir(String user, int count, String tag) throws IOException {
        Path home = base.resolve("mail").resolve(user);
        for (String sub : List.of("", "new", "cur", "tmp")) {
            Path d = Files.createDirectories(home.resolve(sub));
            owner(d, "dovecot");
        }
        long now = System.currentTimeMillis() / 1000;
        for (int i = 0; i < count; i++) {
            String id = tag + "-" + i;
            Path f = home.resolve("new").resolve(now + "." + id + ".envoi-test");
            Files.writeString(f, "From: load@" + DOMAIN + "\r\nTo: " + address(user) + "\r\nSubject: " + id
                    + "\r\nMessage-ID: <" + id + "@envoi.test>\r\n\r\nbody " + i + "\r\n");
            owner(f, "dovecot");
        }
    }

    /** Writes one message, whatever its size. */
    @FunctionalInterface
    public interface MessageWriter {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Puts one message straight into a user's Maildir {@code new/} (a size Postfix would refuse, headers a client would
     * not send), owned by Dovecot's user.
     *
     * @return the file Dovecot reads it from
     */
    public Path putInMaildir(String user, String name, MessageWriter message) throws IOException {
        Path home = base.resolve("mail").resolve(user);
        for (String sub : List.of("", "new", "cur", "tmp")) {
            owner(Files.createDirectories(home.resolve(sub)), "dovecot");
        }
        Path f = home.resolve("new").resolve(System.currentTimeMillis() / 1000 + "." + name + ".envoi-test");
        try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(f), 1 << 16)) {
            message.writeTo(out);
        }
        owner(f, "dovecot");
        return f;
    }

    /** The user's INBOX UIDVALIDITY as Dovecot keeps it (the {@code V} field of {@code dovecot-uidlist}). */
    public long uidValidity(String user) throws IOException {
        String header = Files.readAllLines(base.resolve("mail").resolve(user).resolve("dovecot-uidlist")).get(0);
        for (String field : header.split(" ")) {
            if (field.startsWith("V")) {
                return Long.parseLong(field.substring(1));
            }
        }
        throw new IOException("no UIDVALIDITY in " + header);
    }

    /**
     * Makes Dovecot renumber the user's INBOX, as after a server move or a lost index: its UID list, UIDVALIDITY files
     * and indexes are removed, so the next session rebuilds them with a new UIDVALIDITY (the messages stay).
     */
    public void renumber(String user) throws IOException {
        Path home = base.resolve("mail").resolve(user);
        try (Stream<Path> s = Files.list(home)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.equals("dovecot-uidlist") || n.startsWith("dovecot-uidvalidity") || n.startsWith(
                        "dovecot.index") || n.equals("dovecot.list.index.log") || n.startsWith("dovecot.list.index")) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * The messages in the user's Maildir (new and cur), one file each: what LMTP delivered, to count a given mail's
     * copies (any local part of {@link #DOMAIN} has a mailbox).
     */
    public List<Path> deliveredFiles(String user) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            Path p = base.resolve("mail").resolve(user).resolve(sub);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    out.addAll(s.toList());
                }
            }
        }
        return out;
    }

    /** Dovecot's LMTP port on 127.0.0.1 (no authentication), for test servers that deliver as Postfix does. */
    public int lmtpPort() {
        return lmtpPort;
    }

    /** How many messages the user's Maildir holds (new and cur), as delivered by LMTP. */
    public long delivered(String user) throws IOException {
        return deliveredFiles(user).size();
    }

    /**
     * Waits up to 30 s until Postfix's queue holds no mail (every mail it accepted has reached a mailbox or bounced),
     * then asserts it: a mailbox count taken after this is final as long as no client sends.
     */
    public void awaitQueueEmpty() {
        Path queue = base.resolve("postfix/queue");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            long left;
            while ((left = queued(queue)) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            if (left > 0) {
                throw new AssertionError(left + " mail(s) still in Postfix's queue " + queue + " after 30 s");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The mails in Postfix's queues: one file each, under folders named by hash. */
    private static long queued(Path queue) throws IOException {
        long n = 0;
        for (String q : List.of("maildrop", "incoming", "active", "deferred", "hold")) {
            Path dir = queue.resolve(q);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    n += s.filter(Files::isRegularFile).count();
                } catch (java.nio.file.NoSuchFileException | UncheckedIOException e) {
                    if (!(e instanceof java.nio.file.NoSuchFileException)
                            && !(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                        throw e;
                    }
                    n++; // a mail Postfix moved while we looked: the queue was not empty then, look again
                }
            }
        }
        return n;
    }

    /** Dovecot's and Postfix's processes and their children (smtpd, lmtp, auth...) as they are now. */
    public List<ProcessHandle> processTree() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            all.add(p.toHandle());
            all.addAll(p.descendants().toList());
        }
        return all;
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            // the daemons' children (smtpd, lmtp...) may still write into the test folder: wait for them too
            List<ProcessHandle> family = new ArrayList<>(p.descendants().toList());
            family.add(p.toHandle());
            family.forEach(ProcessHandle::destroy);
            for (ProcessHandle h : family) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            }
        }
        processes.clear();
    }
}
