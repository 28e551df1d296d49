package org.envoi.diffusion.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailboxReader;
import org.envoi.api.transport.TransportRegistry;
import org.envoi.api.vault.TokenVault;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * New mail for an operator, read by the first installed {@link MailboxReader} for the flow (IMAP above the stored mark,
 * POP3: UIDLs not yet kept, Graph: the delta link). The mark is
 * saved only after the caller's keeper has the mails, so a failure (theirs or ours) fetches them again rather than
 * losing them. A refused token is
 * handed back to the engine and tried once more, as for sending.
 */
@Component(service = MailFetcher.class)
public final class MailFetcherService implements MailFetcher {

    private final OperatorRepository operators;
    private final FlowRepository flows;
    private final FetchMarks marks;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;
    private final TransportRegistry readers;

    private final Path spool;

    @Activate
    public MailFetcherService(BundleContext context,
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference FlowRepository flows, @Reference FetchMarks marks, @Reference ProviderRegistry providers,
            @Reference TokenService tokens, @Reference TokenVault vault, @Reference TransportRegistry readers) {
        // where the fetched messages wait, owner-only, until the keeper has them
        this.spool = DataFolder.resolve(context::getProperty).resolve("spool");
        this.operators = operators;
        this.flows = flows;
        this.marks = marks;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
        this.readers = readers;
    }

    @Override
    public List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after, Keeper keeper,
            Progress progress) {
        Operator operator = operators.operator(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "The operator '" + operatorId + "' is not known to Envoi.", null));
        Flow flow = operators.flowOf(operatorId).flatMap(flows::flow).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "No flow is attached to operator '" + operatorId + "': ask the"
                        + " administrator to attach one.", null));
        MailboxReader reader = reader(readers, flow).orElseThrow(() -> new EnvoiException(
                ErrorCode.INVALID_FLOW_DATA, "imap", "The flow '" + flow.name() + "' has no IMAP or POP3 server: set"
                        + " one to read mail.", null));
        MailRoute route = FlowClients.route(flow, operatorId, operator.email(), providers, tokens, vault);
        return reader.fetchNew(route, folder, marks, after, keeper, spool, progress);
    }

    /**
     * The reader of the flow's own transport when it has one (Graph reads what Graph sends: its token is for Graph,
     * not for IMAP), else the first installed reader for the flow (IMAP when it has an IMAP server, POP3 when only
     * POP3...).
     */
    static Optional<MailboxReader> reader(TransportRegistry readers, Flow flow) {
        List<MailboxReader> all = readers.mailboxReaders().stream().filter(r -> r.forFlow(flow)).toList();
        return all.stream().filter(r -> r.id().equals(flow.transport())).findFirst().or(() -> all.stream()
                .findFirst());
    }
}
