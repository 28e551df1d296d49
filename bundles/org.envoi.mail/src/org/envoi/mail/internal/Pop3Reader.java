package org.envoi.mail.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.eclipse.angus.mail.pop3.POP3Folder;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;

/** Reads new mail over POP3: messages whose UIDL is not among those already kept. Leaves mail on the server. */
public final class Pop3Reader {

    private Pop3Reader() {
    }

    /** The new mails in memory: for small reads and tests. */
    public static List<FetchedMail> fetchNew(MailServer server, MailLogin login, Set<String> seenUidls) {
        return fetchNew(server, login, seenUidls, MailSpool.memory());
    }

    /** The new mails, their contents written to {@code spool} as they come. */
    public static List<FetchedMail> fetchNew(MailServer server, MailLogin login, Set<String> seenUidls,
            MailSpool spool) {
        return fetchNew(server, login, seenUidls, spool, org.envoi.api.diffusion.MailFetcher.Progress.NONE);
    }

    /** As above, told message by message to {@code progress}, which may end the read between two messages. */
    public static List<FetchedMail> fetchNew(MailServer server, MailLogin login, Set<String> seenUidls,
            MailSpool spool, org.envoi.api.diffusion.MailFetcher.Progress progress) {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("pop3", server, login, spool.sessionProperties())) {
                return read(access, seenUidls, spool, progress);
            }
        });
    }

    private static List<FetchedMail> read(MailboxAccess access, Set<String> seenUidls, MailSpool spool,
            org.envoi.api.diffusion.MailFetcher.Progress progress) {
        Store store = access.store;
        try {
            POP3Folder folder = (POP3Folder) store.getFolder("INBOX");
            folder.open(Folder.READ_ONLY);
            try {
                Message[] all = folder.getMessages();
                FetchProfile fp = new FetchProfile();
                fp.add(UIDFolder.FetchProfileItem.UID);
                folder.fetch(all, fp);
                List<FetchedMail> out = new ArrayList<>();
                List<Message> fresh = new ArrayList<>();
                for (Message m : all) {
                    String uidl = folder.getUID(m);
                    if (uidl != null && !seenUidls.contains(uidl)) {
                        fresh.add(m);
                    }
                }
                progress.fetched(0, fresh.size());
                for (Message m : fresh) {
                    if (progress.stop()) {
                        break; // the UIDLs read are kept as seen; the others come next time
                    }
                    out.add(MailboxAccess.fetched(folder.getUID(m), m, spool));
                    progress.fetched(out.size(), fresh.size());
                }
                return out;
            } finally {
                folder.close(false);
            }
        } catch (MessagingException | java.io.IOException e) {
            throw access.failure(e);
        }
    }
}
