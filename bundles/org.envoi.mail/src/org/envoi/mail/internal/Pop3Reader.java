package org.envoi.mail.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.eclipse.angus.mail.pop3.POP3Folder;
import org.envoi.api.mail.FetchedMail;
import org.envoi.api.mail.MailLogin;
import org.envoi.api.mail.MailServer;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;

/** Reads new mail over POP3: messages whose UIDL is not among those already kept. Leaves mail on the server. */
public final class Pop3Reader {

    private Pop3Reader() {
    }

    public static List<FetchedMail> fetchNew(MailServer server, MailLogin login, Set<String> seenUidls) {
        SaslOutcome outcome = new SaslOutcome();
        return MailClassLoader.call(() -> {
            Session session = MailSessions.session("pop3", server, login, outcome);
            Store store;
            try {
                store = session.getStore("pop3");
                store.connect(server.endpoint().host(), server.endpoint().port(), login.user(),
                        MailSessions.secret(login));
            } catch (AuthenticationFailedException e) {
                throw MailErrors.authFailed("POP3", server, login, outcome, e.getMessage());
            } catch (MessagingException e) {
                if (rfc3206Auth(e)) {
                    throw MailErrors.authFailed("POP3", server, login, outcome, e.getMessage());
                }
                throw SmtpSender.unavailable(server, e);
            }
            try {
                POP3Folder folder = (POP3Folder) store.getFolder("INBOX");
                folder.open(Folder.READ_ONLY);
                try {
                    Message[] all = folder.getMessages();
                    FetchProfile fp = new FetchProfile();
                    fp.add(UIDFolder.FetchProfileItem.UID);
                    folder.fetch(all, fp);
                    List<FetchedMail> out = new ArrayList<>();
                    for (Message m : all) {
                        String uidl = folder.getUID(m);
                        if (uidl == null || seenUidls.contains(uidl)) {
                            continue;
                        }
                        ByteArrayOutputStream raw = new ByteArrayOutputStream();
                        m.writeTo(raw);
                        String[] ids = m.getHeader("Message-ID");
                        out.add(new FetchedMail(uidl, ids == null ? "" : ids[0].replaceAll("[<>\\s]", ""),
                                m.getFrom() == null || m.getFrom().length == 0 ? "" : m.getFrom()[0].toString(),
                                m.getSubject() == null ? "" : m.getSubject(), raw.toByteArray()));
                    }
                    return out;
                } finally {
                    folder.close(false);
                }
            } catch (MessagingException | java.io.IOException e) {
                if (rfc3206Auth(e)) {
                    // Angus's POP3 XOAUTH2 may take a refused token for a login; the next command then fails with the
                    // RFC 3206 [AUTH] response code
                    throw MailErrors.authFailed("POP3", server, login, outcome, e.getMessage());
                }
                throw SmtpSender.unavailable(server, e);
            } finally {
                try {
                    store.close();
                } catch (MessagingException e) {
                    // nothing was changed on the server
                }
            }
        });
    }

    private static boolean rfc3206Auth(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("[AUTH]")) {
                return true;
            }
        }
        return false;
    }
}
