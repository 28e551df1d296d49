package org.envoi.relay.internal;

import java.net.InetSocketAddress;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.relay.RelayUsers;

/** What the relay's listeners work with: Envoi's own services. */
record RelayServices(RelayUsers users, OperatorRepository operators, FlowRepository flows, Outbox outbox,
        OutboxSenders senders) {

    static EnvoiException bindFailed(String protocol, InetSocketAddress address, Exception cause) {
        return new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "The " + protocol + " relay cannot listen on "
                + address.getAddress().getHostAddress() + ":" + address.getPort() + " (" + cause.getMessage()
                + "): is another program on that port? Choose another port.", cause);
    }
}
