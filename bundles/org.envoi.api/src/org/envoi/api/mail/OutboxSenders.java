package org.envoi.api.mail;

import java.time.Instant;
import java.util.List;

/**
 * The background senders of this data folder's outbox, in this process and in the other Envoi processes running on it
 * (the desktop, {@code envoi} commands): those whose passes fail now, and why. A failing sender keeps trying (1 s,
 * doubling up to a minute); the Flow health screen and {@code envoi outbox list} show this so that nobody believes
 * mail is going out while it is not. {@link #wake} has this process's sender send now.
 */
public interface OutboxSenders {

    /**
     * @param pid the operating-system process of the sender
     * @param since when its passes began to fail
     * @param passes how many passes in a row failed
     * @param reason the last failure's sentence (never a secret)
     * @param nextAttempt when it tries again
     */
    record Failing(long pid, Instant since, int passes, String reason, Instant nextAttempt) {
    }

    /** The senders failing now (an empty list: every running sender works, or none runs). */
    List<Failing> failing();

    /**
     * There is something to send now: this process's sender serves the outbox from now on if it did not yet (in a
     * short-lived process such as a CLI command, {@code envoi.outbox.sender=on-demand}, it starts here, first taking
     * back the mails a stopped Envoi left SENDING once their claim has lapsed) and sends what is due without waiting
     * for its next poll. A command that puts mails back in the queue ({@link Outbox#retry}) calls it to send them
     * itself instead of leaving them to whichever Envoi runs next. Returns at once; the outbox's entries say how each
     * mail went. Any thread.
     */
    void wake();

    /**
     * What this process's sender is doing now.
     *
     * @param paused whether {@link #pause} holds it
     * @param claimed the mails of the pass under way (0 when it is idle): a progress bar's length
     * @param done how many of them were tried (sent, put off, failed) so far
     */
    record Activity(boolean paused, int claimed, int done) {
        public boolean sending() {
            return claimed > 0;
        }
    }

    Activity activity();

    /**
     * "Pause sending" (the desktop's switch): from now on this process's sender claims nothing new; the mail on the
     * wire finishes, the rest of its batch goes back to the queue untried. Queued mails wait, and {@link #wake} does
     * not send them. It holds until {@link #resume} or this process ends (a restart sends again), and only this
     * process: another Envoi on the same data folder ({@code envoi serve}) keeps sending. Any thread.
     */
    void pause();

    /** Sends again, at once. */
    void resume();
}
