package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailPeers;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens that are valid, unexpired and alice's, but not for mail: issued for another resource (as a Microsoft Graph
 * token presented to Outlook's IMAP) or without the mail scope. Microsoft and Google refuse them; so do the test's
 * Dovecot and Postfix (see MailServers), and Envoi says what to check.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TokenAudienceTest {

    @TempDir(cleanup = CleanupMode.NEVER) // removed in stop(), see TestServers.deleteQuietly
    static Path temp;
    private static MockOAuth2Server oauth;
    private static MailServers servers;
    private static MailPeers peers;

    @BeforeAll
    static void start() {
        SaslRegistration.ensureInstalled();
        peers = MailPeers.start(temp);
        oauth = peers.oauth;
        servers = peers.servers;
    }

    @AfterAll
    static void stop() {
        if (peers != null) {
            peers.close();
        }
    }

    private static MailServer local(int port) {
        return MailServer.of("127.0.0.1", port, TlsMode.NONE).withTimeout(Duration.ofSeconds(15));
    }

    /** Every protocol refuses alice's {@code token}, with a sentence that sends the reader to the flow's scopes. */
    private static void refusedEverywhere(String token) {
        for (Mechanism m : Mechanism.values()) {
            MailLogin login = new MailLogin.Bearer("alice", token, m);
            List<EnvoiException> refusals = List.of(
                    assertThrows(EnvoiException.class, () -> SmtpSender.open(local(servers.smtpPort), login)),
                    assertThrows(EnvoiException.class, () -> SmtpSender.open(local(servers.submissionPort), login)),
                    assertThrows(EnvoiException.class, () -> ImapReader.fetchNew(local(servers.imapPort), login,
                            "INBOX", ImapMark.NONE)));
            for (EnvoiException e : refusals) {
                assertEquals(ErrorCode.MAIL_AUTH_FAILED, e.code(), e.getMessage());
                String s = e.getMessage();
                assertTrue(s.contains("refused the access token for alice") && s.contains("another resource")
                        && s.contains("scope") && s.contains("flow's scopes"), s);
                assertFalse(s.contains(token), "the token in the error: " + s);
            }
        }
        EnvoiException pop = assertThrows(EnvoiException.class, () -> Pop3Reader.fetchNew(local(servers.pop3Port),
                new MailLogin.Bearer("alice", token, Mechanism.XOAUTH2), Set.of()));
        assertEquals(ErrorCode.MAIL_AUTH_FAILED, pop.code(), pop.getMessage());
    }

    @Test
    void aTokenForAnotherResourceIsRefused() throws Exception {
        // alice's token for the other resource carries the mail scope's name, as a Graph token carries
        // IMAP.AccessAsUser.All: only its audience is wrong
        String graph = oauth.clientCredentialsToken("mail", "alice", MockOAuth2Server.OTHER_RESOURCE_SCOPE);
        String claims = new String(java.util.Base64.getUrlDecoder().decode(graph.split("\\.")[1]),
                java.nio.charset.StandardCharsets.UTF_8).replace("\\/", "/"); // some JSON writers escape '/'
        assertTrue(claims.contains("\"aud\":\"" + MockOAuth2Server.OTHER_AUDIENCE + "\"")
                && claims.contains("\"scope\":\"" + MailServers.MAIL_SCOPE + "\"") && claims.contains("\"sub\":\"alice\""),
                claims);
        refusedEverywhere(graph);
        // the same request for the mail resource is accepted: the audience made the difference
        ImapReader.fetchNew(local(servers.imapPort), new MailLogin.Bearer("alice", oauth.clientCredentialsToken("mail",
                "alice"), Mechanism.XOAUTH2), "INBOX", ImapMark.NONE);
    }

    @Test
    void aTokenWithoutTheMailScopeIsRefused() {
        String openidOnly = oauth.clientCredentialsToken("mail", "alice", "openid profile");
        refusedEverywhere(openidOnly);
        SmtpSender.open(local(servers.smtpPort), new MailLogin.Bearer("alice", oauth.clientCredentialsToken("mail",
                "alice", "openid " + MailServers.MAIL_SCOPE), Mechanism.XOAUTH2)).close();
    }
}
