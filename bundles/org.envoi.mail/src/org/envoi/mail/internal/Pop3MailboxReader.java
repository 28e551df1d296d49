package org.envoi.mail.internal;

import java.nio.file.Path;
import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
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
 * The flow's POP3 inbox ({@link Pop3Reader}): the mails whose UIDL is not yet kept, for a flow with a POP3 server and
 * no IMAP one. Leaves mail on the server; it has no \Seen flag and no folders.
 */
@Component(service = MailboxReader.class, property = MailboxReader.MAILBOX_ID + "=pop3")
public final class Pop3MailboxReader implements MailboxReader {

    @Override
    public String id() {
        return "pop3";
    }

    @Override
    public boolean forFlow(Flow flow) {
        return flow.imap().isEmpty() && flow.pop().isPresent();
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
        if (!after.isNothing()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "after", "The flow '" + flow.name() + "' reads POP3,"
                    + " which has no \\Seen flag and no folders: mark as seen and move are for IMAP flows.", null);
        }
        MailServer pop = server(flow);
        String mailbox = "pop3:" + flow.id() + ":" + route.mailUser();
        return MailboxReaders.withSpool(spool, files -> {
            List<FetchedMail> got = route.logins().withRenewal(login -> Pop3Reader.fetchNew(pop, login,
                    marks.pop3Seen(mailbox), files, progress));
            keeper.keep(got);
            marks.addPop3Seen(mailbox, got.stream().map(FetchedMail::serverId).toList());
            return got;
        });
    }

    @Override
    public int probe(MailRoute route) {
        MailServer pop = server(route.flow());
        return MailboxAccess.probe("pop3", pop, route.logins().current()); // as the tester always did: no renewal
    }

    private static MailServer server(Flow flow) {
        return flow.pop().orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "pop", "The flow '"
                + flow.name() + "' has no POP3 server: set one to read mail.", null));
    }
}
