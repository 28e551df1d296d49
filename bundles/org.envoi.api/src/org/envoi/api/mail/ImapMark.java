package org.envoi.api.mail;

/**
 * Where an IMAP mailbox was left: its UIDVALIDITY and the highest UID already fetched. Kept in the store per mailbox,
 * so that a restart fetches only what is new.
 */
public record ImapMark(long uidValidity, long highestUid) {

    public static final ImapMark NONE = new ImapMark(-1, 0);
}
