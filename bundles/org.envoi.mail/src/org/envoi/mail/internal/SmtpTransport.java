package org.envoi.mail.internal;

import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.MailServer;
import org.envoi.api.mail.OutgoingMail;
import org.envoi.api.mail.SendReceipt;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.osgi.service.component.annotations.Component;

/**
 * SMTP submission ({@link SmtpSender}) as the {@code smtp} transport: the flow's SMTP server, XOAUTH2 or a password. A
 * refused bearer token is handed back to the engine and a fresh one tried once; a second refusal asks the operator to
 * sign in again.
 */
@Component(service = MailTransport.class, property = MailTransport.TRANSPORT_ID + "=" + MailTransport.SMTP)
public final class SmtpTransport implements MailTransport {

    @Override
    public String id() {
        return SMTP;
    }

    @Override
    public String displayName() {
        return "SMTP";
    }

    @Override
    public List<FieldDescription> fields() {
        return List.of(); // the SMTP server is one of the flow's own fields
    }

    /**
     * Nothing beyond the flow's own fields: a flow that only reads mail is a valid SMTP flow (its SMTP server is asked
     * for when it sends, {@link #connect}); FlowAdmin refuses a flow with no server at all.
     */
    @Override
    public List<FieldProblem> validate(Flow flow) {
        return List.of();
    }

    @Override
    public Connection connect(MailRoute route) {
        MailServer server = route.flow().smtp().orElseThrow(() -> new EnvoiException(ErrorCode.INVALID_FLOW_DATA,
                "smtp", "The flow '" + route.flow().name() + "' has no SMTP server: set one to send.", null));
        int[] tries = { 0 };
        SmtpSender sender;
        try {
            sender = route.logins().withRenewal(login -> {
                tries[0]++;
                return SmtpSender.open(server, login, route.sharedMailbox(), route.flow().id());
            });
        } catch (EnvoiException e) {
            if (tries[0] == 2 && e.code() == ErrorCode.MAIL_AUTH_FAILED) {
                throw new EnvoiException(ErrorCode.CONSENT_REQUIRED, e.getMessage()
                        + " A renewed token was refused too: the operator must sign in again.");
            }
            throw e;
        }
        return new SmtpConnection(sender);
    }

    private record SmtpConnection(SmtpSender sender) implements Connection {

        @Override
        public SendReceipt send(OutgoingMail mail) {
            return sender.send(mail);
        }

        @Override
        public boolean isConnected() {
            return sender.isConnected();
        }

        @Override
        public String probe(String from) {
            return sender.probe(from);
        }

        @Override
        public void close() {
            sender.close();
        }
    }
}
