package org.envoi.relay.internal;

import java.nio.file.Path;
import java.util.Optional;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.relay.MailRelay;
import org.envoi.api.relay.RelayUsers;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The relay's listeners, on the rules every protocol shares: loopback unless allowed, TLS off only on loopback. */
@Component(service = MailRelay.class)
public final class MailRelayService implements MailRelay {

    private final RelayServices services;
    private final Path folder;

    @Activate
    public MailRelayService(BundleContext context, @Reference RelayUsers users,
            @Reference OperatorRepository operators, @Reference FlowRepository flows, @Reference Outbox outbox,
            @Reference OutboxSenders senders) {
        this.services = new RelayServices(users, operators, flows, outbox, senders);
        this.folder = DataFolder.resolve(context::getProperty).resolve("relay");
    }

    @Override
    public Listener listen(Listen what) {
        boolean loopback = what.address().getAddress().isLoopbackAddress();
        String where = what.address().getAddress().getHostAddress() + ":" + what.address().getPort();
        if (!loopback && !what.allowRemote()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "--allow-remote", "The " + what.protocol()
                    + " relay would listen on " + where + ", which other machines reach: add --allow-remote if"
                    + " that is meant (TLS is then required before any login), or listen on 127.0.0.1.", null);
        }
        if (!loopback && !what.tls()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "--no-tls", "The " + what.protocol() + " relay on "
                    + where + " would take passwords in clear from other machines: remove --no-tls (TLS is required"
                    + " off the loopback address).", null);
        }
        Optional<RelayTls> tls = what.tls() ? Optional.of(RelayTls.load(what.certificate(), what.key(), folder))
                : Optional.empty();
        return switch (what.protocol()) {
            case SMTP -> new SmtpRelay(what, services, tls);
            case IMAP, POP3 -> throw new EnvoiException(ErrorCode.INVALID_INPUT, "--" + what.protocol().name()
                    .toLowerCase(java.util.Locale.ROOT).replace("pop3", "pop"), "The " + what.protocol()
                    + " pass-through is not in this version of Envoi yet.", null);
        };
    }

}
