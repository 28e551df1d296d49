package org.envoi.mail.internal;

import java.nio.file.Path;
import java.util.List;

import org.envoi.api.diffusion.MailFetcher.AfterFetch;
import org.envoi.api.diffusion.MailFetcher.Keeper;
import org.envoi.api.diffusion.MailFetcher.Progress;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailServer;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailboxReader;
import org.osgi.service.component.annotations.Component;

/**
 * The flow's IMAP folder above the stored mark ({@link ImapReader}): read, keep, save the mark, then mark as seen or
 * move, on one connection. After the server renumbered the mailbox, the re-sync skips what was handed over before.
 */
@Component(service = MailboxReader.class, property = MailboxReader.MAILBOX_ID + "=imap")
public final class ImapMailboxReader implements MailboxReader {

    private static final System.Logger LOG = System.getLogger(ImapMailboxReader.class.getName());

    @Override
    public String id() {
        return "imap";
    }

    @Override
    public boolean forFlow(Flow flow) {
        return flow.imap().isPresent();
    }

    @Override
    public List<FetchedMail> fetchNew(MailRoute route, String folder, FetchMarks marks, AfterFetch after,
            Keeper keeper, Path spool) {
        return fetchNew(route, folder, marks, after, keeper, spool, Progress.NONE);
    }

    @Override
    public List<FetchedMail> fetchNew(MailRoute route, String folder, FetchMarks marks, AfterFetch after,
            Keeper keeper, Path spool, Progress progress) {
        Flow flow = route.flow();
        MailServer imap = server(flow);
        String name = folder == null || folder.isBlank() ? "INBOX" : folder;
        String mailbox = "imap:" + flow.id() + ":" + route.mailUser() + ":" + name;
        return MailboxReaders.withSpool(spool, files -> {
            // one login: read, save the mark, then mark as seen or move on the same connection
            // after a renumbering the re-sync skips what was handed over before (by Message-ID, else headers)
            ImapReader.Kept k = route.logins().withRenewal(login -> ImapReader.fetchNew(imap, login, name,
                    marks.imapMark(mailbox), v -> marks.keysBefore(mailbox, v), files, f -> {
                        keeper.keep(f.result());
                        marks.saveImapMark(mailbox, f.mark(), f.keys(), f.renumbered());
                    }, after.markSeen(), after.moveTo(), progress));
            List<FetchedMail> got = k.fetch().result();
            // the mails are in hand and the mark is saved: they are returned; only the tidying failed
            k.tidyFailure().ifPresent(e -> LOG.log(System.Logger.Level.WARNING, "Envoi fetched " + got.size()
                    + " mail(s) from " + name + " of flow " + flow.id() + " but could not mark or move them: "
                    + e.getMessage()));
            return got;
        });
    }

    @Override
    public int probe(MailRoute route) {
        MailServer imap = server(route.flow());
        return MailboxAccess.probe("imap", imap, route.logins().current()); // as the tester always did: no renewal
    }

    private static MailServer server(Flow flow) {
        return flow.imap().orElseThrow(() -> new org.envoi.api.EnvoiException(org.envoi.api.ErrorCode
                .INVALID_FLOW_DATA, "imap", "The flow '" + flow.name() + "' has no IMAP server: set one to read"
                        + " mail.", null));
    }
}
