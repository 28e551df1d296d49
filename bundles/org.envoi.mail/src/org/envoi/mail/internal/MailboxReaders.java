package org.envoi.mail.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.mail.FetchedMail;

/** What the IMAP and POP3 reader services share: the spool the fetched messages wait in. */
final class MailboxReaders {

    private MailboxReaders() {
    }

    /** Runs {@code read} with a file spool in {@code dir}, removed (files and all) when it returns. */
    static List<FetchedMail> withSpool(Path dir, Function<MailSpool, List<FetchedMail>> read) {
        MailSpool files;
        try {
            files = MailSpool.in(dir);
        } catch (IOException e) {
            throw new EnvoiException(ErrorCode.MAIL_UNAVAILABLE, null, "Envoi cannot write the fetched mails to "
                    + dir + " (" + e.getMessage() + "): free some space or check the data folder; nothing was"
                    + " fetched.", e);
        }
        // the contents are read by the keeper; the caller keeps the headers
        try (files) {
            return read.apply(files);
        }
    }
}
