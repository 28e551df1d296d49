package org.envoi.api.relay;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The local logins of the relay ({@code envoi serve --smtp/--imap/--pop}): a software that only knows a user name and a
 * password (an ERP's mail settings) logs in with the operator's id and a password the administrator gave that operator.
 * Only a slow salted hash is kept, never the password; the file is the data folder owner's only.
 */
public interface RelayUsers {

    /** A local login: the operator it stands for, and when its password was set. */
    record RelayUser(String operatorId, Instant passwordSet) {
    }

    /**
     * Sets (or replaces) the operator's local password. The array is wiped before this returns.
     *
     * @throws org.envoi.api.EnvoiException INVALID_INPUT naming {@code password} when it is shorter than 12 characters,
     *         or {@code operator} when no such operator exists
     */
    void set(String operatorId, char[] password);

    List<RelayUser> list();

    /** @return whether there was one */
    boolean remove(String operatorId);

    /**
     * The operator whose local login this is, or empty for an unknown user or a wrong password (which take as long
     * as each other, so that an answer does not tell which). The array is wiped before this returns.
     */
    Optional<String> check(String user, char[] password);
}
