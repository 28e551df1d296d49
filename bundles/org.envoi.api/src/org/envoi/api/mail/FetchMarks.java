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

    /**
     * The keys (see {@link #saveImapMark(String, ImapMark, Collection, boolean)}) of the mails handed over from
     * {@code mailbox} under another UIDVALIDITY than {@code uidValidity}: what the re-sync after the server renumbered
     * the mailbox must skip. Empty by default (an implementation that keeps no keys fetches a renumbered mailbox
     * again, whole).
     */
    default Set<String> keysBefore(String mailbox, long uidValidity) {
        return Set.of();
    }

    /**
     * Saves the mark with the keys of the mails it covers (a digest of the Message-ID, else of the headers), in one
     * transaction. When {@code renumbered}, the keys of the earlier UIDVALIDITY are dropped: they served this re-sync
     * only, and {@code keys} then names every mail the renumbered mailbox held. So the keys kept are those of the mails
     * fetched since the last renumbering, never more. By default, the mark alone.
     */
    default void saveImapMark(String mailbox, ImapMark mark, Collection<String> keys, boolean renumbered) {
        saveImapMark(mailbox, mark);
    }

    Set<String> pop3Seen(String mailbox);

    void addPop3Seen(String mailbox, Collection<String> uidls);

    /**
     * A mark that is one opaque text (Microsoft Graph's delta link): empty when the mailbox was never read. Stores
     * that keep none say so on {@link #saveTextMark}.
     */
    default java.util.Optional<String> textMark(String mailbox) {
        return java.util.Optional.empty();
    }

    /**
     * Saves a text mark (replacing the one before) in one transaction, after the mails it covers are kept.
     *
     * @throws UnsupportedOperationException when this store keeps no text marks
     */
    default void saveTextMark(String mailbox, String mark) {
        throw new UnsupportedOperationException("this store keeps no text marks");
    }
}
