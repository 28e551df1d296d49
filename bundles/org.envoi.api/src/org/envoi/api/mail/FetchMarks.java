package org.envoi.api.mail;

import java.util.Collection;
import java.util.Set;

/**
 * What was already fetched, per mailbox, kept in the store so that a restart neither fetches a mail twice nor skips
 * one. A mailbox is named by the caller, for example {@code flow/operator/INBOX}. The mark is saved only after the
 * fetched mails are safely kept.
 */
public interface FetchMarks {

    /** {@link ImapMark#NONE} when the mailbox was never read. */
    ImapMark imapMark(String mailbox);

    void saveImapMark(String mailbox, ImapMark mark);

    Set<String> pop3Seen(String mailbox);

    void addPop3Seen(String mailbox, Collection<String> uidls);
}
