package org.envoi.mail.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;

import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;

/**
 * Reads new mail over IMAP: only UIDs above the mark, so a poll of an unchanged mailbox costs one small command
 * whatever its size. A changed UIDVALIDITY means the server renumbered the mailbox: everything is read again and the
 * result says so, for the caller to skip what it already holds (by Message-ID).
 */
public final class ImapReader {

    /**
     * @param result the mails, oldest first, and the mark to store once they are safely kept
     * @param renumbered true when the mailbox's UIDVALIDITY changed since {@code since}
     */
    public record Fetch(List<FetchedMail> result, ImapMark mark, boolean renumbered) {
    }

    private ImapReader() {
    }

    public static Fetch fetchNew(MailServer server, MailLogin login, String folderName, ImapMark since) {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", server, login)) {
                return read(access, server, folderName, since);
            }
        });
    }

    /**
     * What the operator asked to happen on the server to mails Envoi now keeps: flagged \Seen, and/or moved to
     * another folder (created if missing) with IMAP MOVE, or COPY + \Deleted + UID EXPUNGE where the server has no
     * MOVE. Called only after the mark is saved, so that a crash in between leaves the mails where they were, never
     * lost and never fetched twice.
     *
     * @param uids the UIDs just fetched (a mail expunged meanwhile is skipped)
     */
    public static void afterFetch(MailServer server, MailLogin login, String folderName, List<Long> uids,
            boolean markSeen, Optional<String> moveTo) {
        if (uids.isEmpty() || (!markSeen && moveTo.isEmpty())) {
            return;
        }
        MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", server, login)) {
                try {
                    IMAPFolder folder = (IMAPFolder) access.store.getFolder(folderName);
                    folder.open(Folder.READ_WRITE);
                    try {
                        Message[] mails = Arrays.stream(folder.getMessagesByUID(uids.stream().mapToLong(Long::longValue)
                                .toArray())).filter(Objects::nonNull).toArray(Message[]::new);
                        if (markSeen && mails.length > 0) {
                            folder.setFlags(mails, new Flags(Flags.Flag.SEEN), true);
                        }
                        if (moveTo.isPresent() && mails.length > 0) {
                            move(access, folder, mails, moveTo.get(), server);
                        }
                    } finally {
                        folder.close(false);
                    }
                } catch (MessagingException e) {
                    throw access.failure(e);
                }
            }
            return null;
        });
    }

    private static void move(MailboxAccess access, IMAPFolder folder, Message[] mails, String target,
            MailServer server) throws MessagingException {
        Folder to = access.store.getFolder(target);
        if (!to.exists() && !to.create(Folder.HOLDS_MESSAGES)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "moveTo", "The IMAP folder '" + target + "' does not"
                    + " exist on " + server.endpoint().host() + " and cannot be created: name an existing folder.",
                    null);
        }
        if (((IMAPStore) access.store).hasCapability("MOVE")) {
            folder.moveMessages(mails, to);
        } else {
            folder.copyMessages(mails, to);
            folder.setFlags(mails, new Flags(Flags.Flag.DELETED), true);
            folder.expunge(mails); // UID EXPUNGE of these mails only, where the server has UIDPLUS
        }
    }

    private static Fetch read(MailboxAccess access, MailServer server, String folderName, ImapMark since) {
        Store store = access.store;
        try {
            Folder folder = store.getFolder(folderName);
            if (!folder.exists()) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, "folder", "The IMAP folder '" + folderName
                        + "' does not exist on " + server.endpoint().host() + ".", null);
            }
            folder.open(Folder.READ_ONLY);
            try {
                UIDFolder uids = (UIDFolder) folder;
                long validity = uids.getUIDValidity();
                boolean renumbered = since.uidValidity() != -1 && since.uidValidity() != validity;
                long after = renumbered || since.uidValidity() == -1 ? 0 : since.highestUid();
                Message[] candidates = uids.getMessagesByUID(after + 1, UIDFolder.MAXUID);
                FetchProfile fp = new FetchProfile();
                fp.add(UIDFolder.FetchProfileItem.UID);
                fp.add(FetchProfile.Item.ENVELOPE);
                folder.fetch(candidates, fp);
                List<FetchedMail> out = new ArrayList<>();
                long highest = after;
                for (Message m : candidates) {
                    long uid = uids.getUID(m);
                    if (uid <= after) {
                        continue; // "UID n:*" always names the last message, even an old one
                    }
                    out.add(MailboxAccess.fetched(Long.toString(uid), m));
                    highest = Math.max(highest, uid);
                }
                return new Fetch(out, new ImapMark(validity, highest), renumbered);
            } finally {
                folder.close(false);
            }
        } catch (MessagingException | java.io.IOException e) {
            throw access.failure(e);
        }
    }
}
