package org.envoi.api.tests.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The mail servers of the transport tests (Postfix + Dovecot) with the OAuth server whose tokens they validate
 * (mock-oauth2-server, users alice, bob, eve), started together in a test folder and stopped together; the folder is
 * removed at close.
 */
public final class MailPeers implements AutoCloseable {

    public final MockOAuth2Server oauth;
    public final MailServers servers;
    private final Path base;

    private MailPeers(Path base, MockOAuth2Server oauth, MailServers servers) {
        this.base = base;
        this.oauth = oauth;
        this.servers = servers;
    }

    public static MailPeers start(Path base) {
        MockOAuth2Server oauth = MockOAuth2Server.start(MockOAuth2Server.MAIL_USERS);
        try {
            return new MailPeers(base, oauth, MailServers.start(base.resolve("servers"),
                    oauth.introspectionEndpoint("mail").toString()));
        } catch (RuntimeException | Error e) {
            oauth.close();
            throw e;
        }
    }

    /** A token the servers accept for {@code user}, as a client-credentials grant of the {@code mail} issuer. */
    public String token(String user) {
        return oauth.clientCredentialsToken("mail", user);
    }

    /** Waits up to 30 s until {@code user}'s mailbox holds {@code count} mails delivered by LMTP, then asserts it. */
    public void awaitDelivered(String user, long count) {
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (servers.delivered(user) < count && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(count, servers.delivered(user), "mails delivered to " + user);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * As {@link #awaitDelivered}, then waits until Postfix's queue is empty and asserts the count again: a duplicate
     * still on its way to the mailbox (queued, or being handed to LMTP) is counted, however slow its delivery. Call it
     * once every client that could send the duplicate has finished its sessions.
     */
    public void awaitDeliveredExactly(String user, long count) {
        awaitDelivered(user, count);
        servers.awaitQueueEmpty();
        try {
            assertEquals(count, servers.delivered(user), "mails delivered to " + user + " once Postfix's queue is empty");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            servers.close();
        } finally {
            oauth.close();
            TestServers.deleteQuietly(base);
        }
    }
}
