package org.envoi.api.transport;

import java.nio.file.Path;
import java.util.List;

import org.envoi.api.diffusion.MailFetcher.AfterFetch;
import org.envoi.api.diffusion.MailFetcher.Keeper;
import org.envoi.api.diffusion.MailFetcher.Progress;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.FetchedMail;

/**
 * Reads new mail of a flow's mailbox above a stored mark: IMAP (UIDVALIDITY and UID), POP3 (UIDLs seen), Microsoft
 * Graph (the delta link)... Registered as an OSGi service with the property {@value #MAILBOX_ID}; the fetcher picks the
 * reader the flow names ({@link #forFlow}).
 */
public interface MailboxReader {

    /** Service property carrying the reader id. */
    String MAILBOX_ID = "mailbox.id";

    /** {@code imap}, {@code pop3}, {@code graph}... */
    String id();

    /**
     * Whether this reader reads the flow's mail: IMAP when the flow has an IMAP server, POP3 when it has only a POP3
     * server, Graph when the flow's transport is Graph. When several can, the fetcher takes the one whose id is the
     * flow's transport (Graph reads what Graph sends), else the first.
     */
    boolean forFlow(org.envoi.api.flow.Flow flow);

    /**
     * Fetches what is new above the mark kept in {@code marks}, writing each message to a private file under
     * {@code spool} as it comes; hands the mails to {@code keeper}, then saves the mark, then does {@code after} on
     * the server. When {@code keeper} throws, nothing is recorded and the same mails come again next time. The spool
     * files are removed when this returns.
     *
     * @throws org.envoi.api.EnvoiException MAIL_AUTH_FAILED, MAIL_UNAVAILABLE, INVALID_INPUT ({@code after} not
     *         supported), CONSENT_REQUIRED
     */
    List<FetchedMail> fetchNew(MailRoute route, String folder, FetchMarks marks, AfterFetch after, Keeper keeper,
            Path spool);

    /**
     * As {@link #fetchNew(MailRoute, String, FetchMarks, AfterFetch, Keeper, Path)}, told to {@code progress} message by
     * message and stopped between two when it asks ({@link Progress#stop}): the mails read so far are kept and marked,
     * the rest comes next time. A reader that cannot stop in the middle reads everything (this default).
     */
    default List<FetchedMail> fetchNew(MailRoute route, String folder, FetchMarks marks, AfterFetch after,
            Keeper keeper, Path spool, Progress progress) {
        return fetchNew(route, folder, marks, after, keeper, spool);
    }

    /** "Test the service": logs in and opens the inbox. @return how many messages it holds */
    int probe(MailRoute route);
}
