package org.envoi.api.diffusion;

import java.util.List;
import java.util.Optional;

import org.envoi.api.mail.FetchedMail;

/**
 * Reads the new mail of an operator's flow (IMAP, else POP3) with the flow's authentication. What was fetched once is
 * never returned again, across restarts (the marks are kept in the store once the mails are handed over), nor when
 * the server renumbers an IMAP mailbox (a new UIDVALIDITY): the re-sync skips the mails already handed over, known by
 * their Message-ID, else by their headers.
 * <p>
 * Each message goes from the server to a private spool file in the data folder as it comes, whatever its size; the
 * returned mails keep their headers, and their content ({@link FetchedMail#open()}) can be read until
 * {@code fetchNew} returns, when the spool files are removed: a {@link Keeper} copies what it keeps.
 */
public interface MailFetcher {

    /**
     * What happens on the IMAP server to the mails once Envoi keeps them (after the mark is saved): flagged
     * {@code \Seen}, and/or moved to a folder (created if missing). POP3 has neither.
     */
    record AfterFetch(boolean markSeen, Optional<String> moveTo) {
        public static final AfterFetch NOTHING = new AfterFetch(false, Optional.empty());

        public AfterFetch {
            moveTo = moveTo.filter(f -> !f.isBlank());
        }

        public boolean isNothing() {
            return !markSeen && moveTo.isEmpty();
        }
    }

    /**
     * @param folder the IMAP folder ({@code INBOX} by default); ignored for POP3
     * @throws org.envoi.api.EnvoiException NO_FLOW_FOR_OPERATOR, INVALID_FLOW_DATA (no IMAP or POP server),
     *         CONSENT_REQUIRED, MAIL_AUTH_FAILED, MAIL_UNAVAILABLE
     */
    default List<FetchedMail> fetchNew(String operatorId, String folder) {
        return fetchNew(operatorId, folder, AfterFetch.NOTHING);
    }

    /**
     * As {@link #fetchNew(String, String)}, then {@code after} on the server.
     *
     * @throws org.envoi.api.EnvoiException also INVALID_INPUT when {@code after} asks for something on a POP3 flow
     */
    default List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after) {
        return fetchNew(operatorId, folder, after, mails -> {
        });
    }

    /**
     * Where the caller keeps the fetched mails (files, its own database) before Envoi records them as fetched. It is
     * handed the new mails before the mark is saved and before anything is flagged or moved on the server; when it
     * throws, nothing is recorded or touched, so the next fetch brings the same mails again. It must return only once
     * the mails are durably kept (written and forced to the disk). It reads each mail's content with
     * {@link FetchedMail#open()} (streamed: a mail may be larger than the heap).
     */
    @FunctionalInterface
    interface Keeper {
        /** @throws RuntimeException (an {@link org.envoi.api.EnvoiException} with a sentence) when they cannot be kept */
        void keep(List<FetchedMail> mails);
    }

    /**
     * As {@link #fetchNew(String, String, AfterFetch)}, the mails going to {@code keeper} first.
     *
     * @throws RuntimeException also what {@code keeper} threw, as it threw it: then nothing was recorded
     */
    default List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after, Keeper keeper) {
        return fetchNew(operatorId, folder, after, keeper, Progress.NONE);
    }

    /**
     * Hears a fetch message by message (a progress bar) and may stop it between two messages (Cancel). A stopped fetch
     * is a shorter one, never a broken one: the mails read so far are handed over and marked as any fetch's (the next
     * fetch starts after them, none comes twice), the rest comes next time. Called from the fetching thread.
     */
    interface Progress {
        Progress NONE = new Progress() {
        };

        /** @param done the new mails read so far, @param total the new mails found on the server */
        default void fetched(int done, int total) {
        }

        /** Asked before each message: {@code true} ends the fetch there. */
        default boolean stop() {
            return false;
        }
    }

    /** As {@link #fetchNew(String, String, AfterFetch, Keeper)}, told to {@code progress} message by message. */
    List<FetchedMail> fetchNew(String operatorId, String folder, AfterFetch after, Keeper keeper, Progress progress);
}
