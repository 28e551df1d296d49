package org.envoi.mail.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailLogin.Mechanism;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.servers.MailServers;
import org.envoi.api.tests.servers.MockOAuth2Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cost of an incremental IMAP poll (login with XOAUTH2, select, UID FETCH above the mark) on mailboxes of 1,000
 * and 10,000 messages, with 0 and 10 new ones. Prints figures; asserts only the counts. Run:
 * {@code -Dtest=ImapPollBenchmark} (see README).
 */
class ImapPollBenchmark {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.NEVER) // the mail servers may write after stop
    Path temp;

    @Test
    void pollCostDoesNotGrowWithTheMailbox() throws Exception {
        SaslRegistration.ensureInstalled();
        try (MockOAuth2Server oauth = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
                MailServers servers = MailServers.start(temp.resolve("servers"),
                        oauth.introspectionEndpoint("mail").toString())) {
            MailServer imap = MailServer.of("127.0.0.1", servers.imapPort, TlsMode.NONE)
                    .withTimeout(Duration.ofSeconds(120));
            for (int size : new int[] { 1_000, 10_000 }) {
                String user = "poll" + size;
                servers.fillMaildir(user, size, "old" + size);
                MailLogin login = new MailLogin.Bearer(user, oauth.clientCredentialsToken("mail", user),
                        Mechanism.XOAUTH2);
                ImapReader.Fetch first = ImapReader.fetchNew(imap, login, "INBOX", ImapMark.NONE);
                assertEquals(size, first.result().size());
                List<Double> none = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    long t0 = System.nanoTime();
                    assertEquals(0, ImapReader.fetchNew(imap, login, "INBOX", first.mark()).result().size());
                    none.add((System.nanoTime() - t0) / 1e6);
                }
                servers.fillMaildir(user, 10, "new" + size);
                long t0 = System.nanoTime();
                ImapReader.Fetch ten = ImapReader.fetchNew(imap, login, "INBOX", first.mark());
                double tenMs = (System.nanoTime() - t0) / 1e6;
                assertEquals(10, ten.result().size());
                Collections.sort(none);
                System.out.printf("BENCH imap.poll mailbox=%d new=0 median_ms=%.1f new=10 ms=%.1f%n", size,
                        none.get(none.size() / 2), tenMs);
            }
        }
    }
}
