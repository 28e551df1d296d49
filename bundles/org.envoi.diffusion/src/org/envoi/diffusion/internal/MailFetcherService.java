package org.envoi.diffusion.internal;

import java.nio.file.Path;
import java.util.List;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailServer;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.vault.TokenVault;
import org.envoi.mail.internal.ImapReader;
import org.envoi.mail.internal.MailSpool;
import org.envoi.mail.internal.OutboxWorker;
import org.envoi.mail.internal.Pop3Reader;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * New mail for an operator: the flow's IMAP folder above the stored mark (POP3: UIDLs not yet kept). The mark is
 * saved only after the caller's keeper has the mails, so a failure (theirs or ours) fetches them again rather than
 * losing them. A refused token is
 * handed back to the engine and tried once more, as for sending.
 */
@Component(service = MailFetcher.class)
public final class MailFetcherService implements MailFetcher {

    private static final System.Logger LOG = System.getLogger(MailFetcherService.class.getName());

    private final OperatorRepository operators;
    private final FlowRepository flows;
    private final FetchMarks marks;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;

    private final Path spool;

    @Activate
    public MailFetcherService(BundleContext context, @Reference OperatorRepository operators,
            @Reference FlowRepository flows, @Reference FetchMarks marks, @Reference ProviderRegistry providers,
            @Reference TokenService tokens, @Reference TokenVault vault) {
        // where the fetched messages wait, owner-only, until the keeper has them
        this.spool = DataFolder.resolve(context::getProperty).resolve("spool");
        this.operators = operators;
        this.flows = flows;
        this.marks = marks;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
    }

    @Override
    public List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after, Keeper keeper) {
        MailSpool files;
        try {
            files = MailSpool.in(spool);
        } catch (java.io.IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Envoi cannot write the fetched mails to "
                    + spool + " (" + e.getMessage() + "): free some space or check the data folder; nothing was"
                    + " fetched.", e);
        }
        // the contents are read by the keeper; the caller keeps the headers
        try (files) {
            return fetchNew(operatorId, folder, after, keeper, files);
        }
    }

    private List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after, Keeper keeper,
            MailSpool files) {
        Operator operator = operators.operator(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "The operator '" + operatorId + "' is not known to Envoi.", null));
        Flow flow = operators.flowOf(operatorId).flatMap(flows::flow).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "No flow is attached to operator '" + operatorId + "': ask the"
                        + " administrator to attach one.", null));
        OutboxWorker.Logins logins = FlowClients.logins(flow, operatorId, operator.email(), providers, tokens, vault);
        String user = FlowClients.mailUser(flow, operator.email());
        String name = folder == null || folder.isBlank() ? "INBOX" : folder;
        if (flow.imap().isPresent()) {
            MailServer imap = flow.imap().get();
            String mailbox = "imap:" + flow.id() + ":" + user + ":" + name;
            // one login: read, save the mark, then mark as seen or move on the same connection
            // after a renumbering the re-sync skips what was handed over before (by Message-ID, else headers)
            ImapReader.Kept k = logins.withRenewal(login -> ImapReader.fetchNew(imap, login, name,
                    marks.imapMark(mailbox), v -> marks.keysBefore(mailbox, v), files, f -> {
                        keeper.keep(f.result());
                        marks.saveImapMark(mailbox, f.mark(), f.keys(), f.renumbered());
                    }, after.markSeen(), after.moveTo()));
            List<FetchedMail> got = k.fetch().result();
            // the mails are in hand and the mark is saved: they are returned; only the tidying failed
            k.tidyFailure().ifPresent(e -> LOG.log(System.Logger.Level.WARNING, "Envoi fetched " + got.size()
                    + " mail(s) from " + name + " of flow " + flow.id() + " but could not mark or move them: "
                    + e.getMessage()));
            return got;
        }
        if (flow.pop().isPresent()) {
            if (!after.isNothing()) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, "after", "The flow '" + flow.name() + "' reads POP3,"
                        + " which has no \\Seen flag and no folders: mark as seen and move are for IMAP flows.", null);
            }
            MailServer pop = flow.pop().get();
            String mailbox = "pop3:" + flow.id() + ":" + user;
            List<FetchedMail> got = logins.withRenewal(login -> Pop3Reader.fetchNew(pop, login, marks.pop3Seen(
                    mailbox), files));
            keeper.keep(got);
            marks.addPop3Seen(mailbox, got.stream().map(FetchedMail::serverId).toList());
            return got;
        }
        throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "imap", "The flow '" + flow.name() + "' has no IMAP or"
                + " POP3 server: set one to read mail.", null);
    }
}
