package org.envoi.diffusion.internal;

import java.util.List;
import java.util.Optional;

import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.api.transport.Logins;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailTransport;
import org.envoi.diffusion.internal.OutboxWorker.Route;

/** Routes for the worker tests: a flow sending through one SMTP server with the logins given. */
final class SmtpRoutes {

    private SmtpRoutes() {
    }

    /** The {@code smtp} transport org.envoi.mail registers in the running framework. */
    static MailTransport smtp() {
        return OsgiServices.get(OsgiServices.context(SmtpRoutes.class), MailTransport.class, "("
                + MailTransport.TRANSPORT_ID + "=" + MailTransport.SMTP + ")");
    }

    static Route route(MailServer smtp, long attachmentLimitBytes, Logins logins) {
        return route(smtp(), smtp, attachmentLimitBytes, logins, Optional.empty());
    }

    static Route route(MailServer smtp, long attachmentLimitBytes, Logins logins, Optional<String> sharedMailbox) {
        return route(smtp(), smtp, attachmentLimitBytes, logins, sharedMailbox);
    }

    /** With the transport given: a child JVM has no service registry. */
    static Route route(MailTransport transport, MailServer smtp, long attachmentLimitBytes, Logins logins,
            Optional<String> sharedMailbox) {
        Flow flow = new Flow("m365", "Microsoft 365", FlowType.OAUTH2, "custom", new ProviderFields("", "envoi", "",
                List.of("mail"), ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(smtp), Optional.empty(), Optional.empty(), "", sharedMailbox, attachmentLimitBytes,
                Optional.empty());
        return new Route(transport, new MailRoute(flow, "alice", sharedMailbox.orElse("alice"), logins));
    }
}
