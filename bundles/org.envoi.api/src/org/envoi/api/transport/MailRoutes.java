package org.envoi.api.transport;

/**
 * The route of one flow and operator as the pipeline builds it (the mailbox user, the login with its silent refresh),
 * for a part that talks to the flow's servers itself: the relay's IMAP and POP3 pass-through.
 */
public interface MailRoutes {

    /**
     * @throws org.envoi.api.EnvoiException NO_FLOW_FOR_OPERATOR when the flow or the operator does not exist
     */
    MailRoute route(String flowId, String operatorId);
}
