package org.envoi.api.diffusion;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The local sandbox, for trying Envoi without a Microsoft or Google account: a real OAuth2 server and a real mail
 * server (SMTP, IMAP, POP3 with XOAUTH2, tokens checked against that OAuth server) on 127.0.0.1, and a ready flow
 * {@value #FLOW} with its operator {@value #OPERATOR}. The servers keep their mail in memory and stop with the
 * process that started them.
 */
public interface Sandbox {

    String FLOW = "sandbox";
    String OPERATOR = "demo";

    /** What runs: the flow and operator written into the store, the mailbox address, the servers' ports, the log. */
    record Running(String flowId, String operatorId, String address, URI issuer, int smtpPort, int imapPort,
            int pop3Port, Path log) {
    }

    /**
     * Starts the servers (once per process; a second call returns what runs) and writes, or rewrites with the new
     * ports, the flow and the operator. @throws org.envoi.api.EnvoiException INVALID_INPUT when the sandbox is not
     * installed or does not start (the message says where its log is)
     */
    Running start();

    Optional<Running> running();

    /**
     * Signs the demo operator in. The sandbox's OAuth server approves without a form, so Envoi follows its redirect
     * itself: an authorization-code grant with PKCE and {@code state} like any other, minus the browser.
     */
    void signIn();

    /** Stops the servers; their mail is gone. */
    void stop();
}
