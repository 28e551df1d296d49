package org.envoi.api.transport;

import java.util.List;

import org.envoi.api.flow.Flow;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;

/**
 * A way to send mail: SMTP ({@code org.envoi.mail}), Microsoft Graph ({@code org.envoi.transport.graph})... Registered
 * by its bundle as an OSGi service with the property {@value #TRANSPORT_ID} equal to {@link #id()}; a flow names its
 * transport by that id ({@link Flow#transport()}). The outbox worker drives any transport the same way: it opens a
 * {@link Connection} per flow and operator, sends the mails of that group through it, and keeps it while mail keeps
 * coming. Implementations are stateless and thread-safe; a connection is used by one thread at a time.
 * <p>
 * Errors are {@link org.envoi.api.EnvoiException}s, and their code decides what the outbox does with the mail:
 * {@code MAIL_REJECTED} (permanent: FAILED with the reason), {@code MAIL_UNAVAILABLE} and {@code OAUTH_UNAVAILABLE}
 * (transient: RETRY with back-off, or at the time a {@link RetryLater} gives), {@code MAIL_AUTH_FAILED} (the token was
 * refused: refreshed once, then the mail waits for consent), {@code CONSENT_REQUIRED}, {@code INVALID_FLOW_DATA}.
 */
public interface MailTransport {

    /** Service property carrying the transport id. */
    String TRANSPORT_ID = "transport.id";

    /** The transport of a flow that names none (and of every flow stored before transports existed). */
    String SMTP = "smtp";

    /** Stable id stored in flows, for example {@code smtp} or {@code graph}; lower case, no spaces. */
    String id();

    /** Name shown to the administrator, for example "Microsoft Graph". */
    String displayName();

    /**
     * The settings this transport reads from {@link Flow#settings()} (beside the flow's own SMTP/IMAP/POP servers),
     * for the flows editor and {@code flow add} to offer. Empty when it needs none.
     */
    List<FieldDescription> fields();

    /** Checks what this transport needs of a flow. @return the problems, empty when it can send */
    List<FieldProblem> validate(Flow flow);

    /**
     * The scopes a flow sending through this transport asks for, given the provider's mail scopes: SMTP keeps them,
     * Graph asks for its own resource's ({@code Mail.Send}...). The default keeps them.
     */
    default List<String> scopes(String providerId, List<String> providerScopes, boolean appOnly) {
        return providerScopes;
    }

    /**
     * The token resource its scopes belong to ({@code ""} for the provider's mail resource, as SMTP; {@code graph} for
     * Microsoft Graph). A file store of the same resource ({@code FileStore#resource()}) shares the flow's sign-in; one
     * of another resource needs its own (Microsoft grants one resource per token request, AADSTS70011).
     */
    default String resource() {
        return "";
    }

    /**
     * Logs in (or checks what can be checked before the first mail) for one flow and operator.
     *
     * @throws org.envoi.api.EnvoiException MAIL_AUTH_FAILED, MAIL_UNAVAILABLE, CONSENT_REQUIRED, INVALID_FLOW_DATA...
     */
    Connection connect(MailRoute route);

    /** Sends the mails of one flow and operator, in order, on one thread. */
    interface Connection extends AutoCloseable {

        /** @return the server's answer for this mail (an SMTP reply line, an HTTP status line) */
        SendReceipt send(OutgoingMail mail);

        /** False once the connection is gone: the worker then opens another and sends the rest through it. */
        boolean isConnected();

        /**
         * "Test the service": one real command after the login that sends nothing (SMTP {@code MAIL FROM} then
         * {@code RSET}; Graph: reading the mailbox's settings). @return what the server answered, one line
         */
        String probe(String from);

        @Override
        void close();
    }
}
