package org.envoi.mail.internal;

import java.util.ArrayList;
import java.util.List;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.ImapMark;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

import jakarta.mail.FetchProfile;
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
