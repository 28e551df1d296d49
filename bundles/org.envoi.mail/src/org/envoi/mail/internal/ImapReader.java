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
 * whatever its size. A changed UIDVALIDITY means the server renumbered the mailbox: every message is looked at again,
 * and those whose key ({@link MailboxAccess#key}: Message-ID, else headers) the caller already handed over are skipped
 * before their content is read. Contents go to a {@link MailSpool} as they come.
 */
public final class ImapReader {

    /**
     * @param result the mails, oldest first, and the mark to store once they are safely kept
     * @param renumbered true when the mailbox's UIDVALIDITY changed since {@code since}
     * @param keys the keys of the mails this mark covers: those of {@code result}, and on a re-sync also those skipped
     *        as already handed over (the renumbered mailbox's whole content)
     */
    public record Fetch(List<FetchedMail> result, ImapMark mark, boolean renumbered, List<String> keys) {
    }

    /** The keys of the mails handed over under another UIDVALIDITY than the one given: a re-sync skips them. */
    @FunctionalInterface
    public interface KnownKeys {
        java.util.Set<String> before(long uidValidity);

        KnownKeys NONE = v -> java.util.Set.of();
    }

    private ImapReader() {
    }

    /** The new mails in memory, with nothing skipped: for small reads and tests. */
    public static Fetch fetchNew(MailServer server, MailLogin login, String folderName, ImapMark since) {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", server, login)) {
                return read(access, server, folderName, since, KnownKeys.NONE, MailSpool.memory(),
                        org.envoi.api.diffusion.MailFetcher.Progress.NONE);
            }
        });
    }

    /**
     * What one login did: the mails read (kept by the caller's {@code keep}, their mark with them), and why marking or
     * moving them on the server failed, if it did.
     */
    public record Kept(Fetch fetch, Optional<EnvoiException> tidyFailure) {
    }

    /**
     * Reads the new mails, hands them to {@code keep} (the caller saves them and the mark there), then does what the
     * operator asked on the server ({@link #afterFetch}): one connection, one login. The last step comes only once
     * {@code keep} returned, so a crash in between leaves the mails where they were, never lost and never fetched
     * twice; its failure is returned, not thrown, for the mails are in hand.
     */
    public static Kept fetchNew(MailServer server, MailLogin login, String folderName, ImapMark since,
            java.util.function.Consumer<Fetch> keep, boolean markSeen, Optional<String> moveTo) {
        return fetchNew(server, login, folderName, since, KnownKeys.NONE, MailSpool.memory(), keep, markSeen, moveTo);
    }

    /**
     * As {@link #fetchNew(MailServer, MailLogin, String, ImapMark, java.util.function.Consumer, boolean, Optional)},
     * the contents going to {@code spool}, and on a re-sync after a renumbering the mails of {@code known} skipped.
     */
    public static Kept fetchNew(MailServer server, MailLogin login, String folderName, ImapMark since, KnownKeys known,
            MailSpool spool, java.util.function.Consumer<Fetch> keep, boolean markSeen, Optional<String> moveTo) {
        return fetchNew(server, login, folderName, since, known, spool, keep, markSeen, moveTo,
                org.envoi.api.diffusion.MailFetcher.Progress.NONE);
    }

    /**
     * As above, told message by message to {@code progress}, which may end the read between two messages: the mark
     * then stops at the last message read (UIDs ascend), so the next fetch starts right after it.
     */
    public static Kept fetchNew(MailServer server, MailLogin login, String folderName, ImapMark since, KnownKeys known,
            MailSpool spool, java.util.function.Consumer<Fetch> keep, boolean markSeen, Optional<String> moveTo,
            org.envoi.api.diffusion.MailFetcher.Progress progress) {
        return MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", server, login)) {
                Fetch f = read(access, server, folderName, since, known, spool, progress);
                keep.accept(f);
                try {
                    tidy(access, server, folderName, uids(f), markSeen, moveTo);
                    return new Kept(f, Optional.empty());
                } catch (EnvoiException e) {
                    return new Kept(f, Optional.of(e));
                } catch (RuntimeException e) {
                    // whatever it is, the mark is saved: the mails must reach the caller
                    return new Kept(f, Optional.of(new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Marking or"
                            + " moving the fetched mails failed: " + e, e)));
                }
            }
        });
    }

    private static List<Long> uids(Fetch f) {
        return f.result().stream().map(m -> Long.parseLong(m.serverId())).toList();
    }

    /**
     * What the operator asked to happen on the server to mails Envoi now keeps: flagged \Seen, and/or moved to
     * another folder (created if missing) with IMAP MOVE, or COPY + \Deleted + UID EXPUNGE where the server has no
     * MOVE. Called only after the mark is saved, so that a crash in between leaves the mails where they were, never
     * lost and never fetched twice. On a connection of its own: {@link #fetchNew(MailServer, MailLogin, String,
     * ImapMark, java.util.function.Consumer, boolean, Optional)} does it on the fetch's.
     *
     * @param uids the UIDs just fetched (a mail expunged meanwhile is skipped)
     */
    public static void afterFetch(MailServer server, MailLogin login, String folderName, List<Long> uids,
            boolean markSeen, Optional<String> moveTo) {
        if (nothingToDo(uids, markSeen, moveTo)) {
            return;
        }
        MailClassLoader.call(() -> {
            try (MailboxAccess access = MailboxAccess.open("imap", server, login)) {
                tidy(access, server, folderName, uids, markSeen, moveTo);
            }
            return null;
        });
    }

    private static boolean nothingToDo(List<Long> uids, boolean markSeen, Optional<String> moveTo) {
        return uids.isEmpty() || (!markSeen && moveTo.isEmpty());
    }

    private static void tidy(MailboxAccess access, MailServer server, String folderName, List<Long> uids,
            boolean markSeen, Optional<String> moveTo) {
        if (nothingToDo(uids, markSeen, moveTo)) {
            return;
        }
        try {
            // the target and the server's MOVE first, while the connection is free: asked with the source folder
            // open, Angus would open a second connection (and log in again) for them
            Optional<Folder> to = moveTo.isEmpty() ? Optional.empty()
                    : Optional.of(target(access, moveTo.get(), server));
            boolean canMove = to.isPresent() && ((IMAPStore) access.store).hasCapability("MOVE");
            IMAPFolder folder = (IMAPFolder) access.store.getFolder(folderName);
            folder.open(Folder.READ_WRITE);
            try {
                Message[] mails = Arrays.stream(folder.getMessagesByUID(uids.stream().mapToLong(Long::longValue)
                        .toArray())).filter(Objects::nonNull).toArray(Message[]::new);
                if (markSeen && mails.length > 0) {
                    folder.setFlags(mails, new Flags(Flags.Flag.SEEN), true);
                }
                if (to.isPresent() && mails.length > 0) {
                    move(folder, mails, to.get(), canMove);
                }
            } finally {
                folder.close(false);
            }
        } catch (MessagingException e) {
            throw access.failure(e);
        }
    }

    private static Folder target(MailboxAccess access, String target, MailServer server) throws MessagingException {
        Folder to = access.store.getFolder(target);
        if (!to.exists() && !to.create(Folder.HOLDS_MESSAGES)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "moveTo", "The IMAP folder '" + target + "' does not"
                    + " exist on " + server.endpoint().host() + " and cannot be created: name an existing folder.",
                    null);
        }
        return to;
    }

    private static void move(IMAPFolder folder, Message[] mails, Folder to, boolean canMove)
            throws MessagingException {
        if (canMove) {
            folder.moveMessages(mails, to);
        } else {
            folder.copyMessages(mails, to);
            folder.setFlags(mails, new Flags(Flags.Flag.DELETED), true);
            folder.expunge(mails); // UID EXPUNGE of these mails only, where the server has UIDPLUS
        }
    }

    private static Fetch read(MailboxAccess access, MailServer server, String folderName, ImapMark since,
            KnownKeys known, MailSpool spool, org.envoi.api.diffusion.MailFetcher.Progress progress) {
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
                java.util.Set<String> handedOver = renumbered ? known.before(validity) : java.util.Set.of();
                List<FetchedMail> out = new ArrayList<>();
                List<String> keys = new ArrayList<>();
                long highest = after;
                int total = 0;
                for (Message m : candidates) {
                    total += uids.getUID(m) > after ? 1 : 0;
                }
                int done = 0;
                progress.fetched(0, total);
                for (Message m : candidates) {
                    long uid = uids.getUID(m);
                    if (uid <= after) {
                        continue; // "UID n:*" always names the last message, even an old one
                    }
                    if (progress.stop()) {
                        break; // in UID order: the mark covers exactly what was read
                    }
                    String key = MailboxAccess.key(m);
                    keys.add(key);
                    highest = Math.max(highest, uid);
                    if (!handedOver.contains(key)) {
                        out.add(MailboxAccess.fetched(Long.toString(uid), m, spool));
                    }
                    progress.fetched(++done, total);
                }
                return new Fetch(out, new ImapMark(validity, highest), renumbered, keys);
            } finally {
                folder.close(false);
            }
        } catch (MessagingException | java.io.IOException e) {
            throw access.failure(e);
        }
    }
}
