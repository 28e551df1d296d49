package org.envoi.ui.parts;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.ProgressBar;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;
import org.envoi.api.mail.OutboxSenders;

import jakarta.annotation.PostConstruct;

/**
 * The operator's outbox: every mail with where it stands and why, counters per state, "retry" for a stopped one or one
 * waiting for its next attempt (the desktop's background sender takes it at its next poll, within seconds).
 */
public class OutboxPart {

    static final String KEY = ProvidersPart.KEY;
    static final int SHOWN = 500;

    private Messages m;
    private Outbox outbox;
    private Table table;
    private Label counts;

    private OutboxSenders senders;
    private Button pause;
    private Label sending;
    private ProgressBar progress;

    @PostConstruct
    public void create(Composite parent, @Service Outbox outbox,
            @org.eclipse.e4.core.di.annotations.Optional @Service OutboxSenders senders) {
        create(parent, Messages.platform(), outbox, senders);
    }

    public void create(Composite parent, Messages messages, Outbox outbox) {
        create(parent, messages, outbox, null);
    }

    /** @param senders this process's sender: its batch's progress and the Pause switch (null: neither is shown) */
    public void create(Composite parent, Messages messages, Outbox outbox, OutboxSenders senders) {
        this.m = messages;
        this.outbox = outbox;
        this.senders = senders;
        parent.setLayout(new GridLayout(3, false));
        counts = new Label(parent, SWT.NONE);
        counts.setData(KEY, "outbox.counts");
        counts.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        Button refresh = new Button(parent, SWT.PUSH);
        refresh.setText(m.get("outbox.refresh"));
        refresh.setData(KEY, "outbox.refresh");
        refresh.addListener(SWT.Selection, e -> refresh());
        Button retry = new Button(parent, SWT.PUSH);
        retry.setText(m.get("outbox.retry"));
        retry.setData(KEY, "outbox.retry");
        retry.addListener(SWT.Selection, e -> {
            for (TableItem i : table.getSelection()) {
                outbox.retry((Long) i.getData());
            }
            refresh();
        });
        if (senders != null) {
            pauseAndProgress(parent);
        }
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION | SWT.MULTI);
        table.setData(KEY, "outbox.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true, 3, 1));
        for (String h : new String[] { "#", m.get("outbox.subject"), m.get("outbox.state"), m.get("outbox.attempts"),
                m.get("outbox.reply") }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
        refresh();
    }

    /**
     * "Pause sending" (a switch the sender honours: it finishes the mail on the wire and claims nothing more) and, while
     * a batch goes, a bar of its progress; read from the sender twice a second while the part is open.
     */
    private void pauseAndProgress(Composite parent) {
        pause = new Button(parent, SWT.CHECK);
        pause.setText(m.get("outbox.pause"));
        pause.setData(KEY, "outbox.pause");
        pause.setSelection(senders.activity().paused());
        pause.addListener(SWT.Selection, e -> {
            if (pause.getSelection()) {
                senders.pause();
            } else {
                senders.resume();
            }
            showActivity();
        });
        sending = new Label(parent, SWT.WRAP);
        sending.setData(KEY, "outbox.sending");
        sending.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        progress = new ProgressBar(parent, SWT.HORIZONTAL | SWT.SMOOTH);
        progress.setData(KEY, "outbox.progress");
        progress.setLayoutData(new GridData(200, SWT.DEFAULT));
        showActivity();
        Display display = parent.getDisplay();
        Runnable[] poll = new Runnable[1];
        poll[0] = () -> {
            if (!progress.isDisposed()) {
                showActivity();
                display.timerExec(500, poll[0]);
            }
        };
        display.timerExec(500, poll[0]);
    }

    void showActivity() {
        OutboxSenders.Activity a = senders.activity();
        pause.setSelection(a.paused());
        progress.setVisible(a.sending());
        if (a.sending()) {
            progress.setMaximum(a.claimed());
            progress.setSelection(a.done());
        }
        String text = a.paused() ? m.get("outbox.paused") : a.sending() ? m.get("outbox.sending", a.done() + 1,
                a.claimed()) : "";
        if (!text.equals(sending.getText())) {
            sending.setText(text);
            sending.getParent().layout(true, true);
        }
    }

    public void refresh() {
        if (table.isDisposed()) {
            return;
        }
        table.removeAll();
        for (OutboxEntry e : outbox.list(SHOWN)) {
            TableItem i = new TableItem(table, SWT.NONE);
            i.setText(new String[] { Long.toString(e.id()), e.subject(), e.state().name(),
                    Integer.toString(e.attempts()), e.lastReply() == null ? "" : e.lastReply() });
            i.setData(e.id());
            i.setData(KEY, "outbox.entry." + e.id());
            if (e.state() == State.FAILED || e.state() == State.WAITING_CONSENT) {
                i.setForeground(table.getDisplay().getSystemColor(SWT.COLOR_RED));
            }
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
        counts.setText(m.get("outbox.counts", outbox.count(State.QUEUED), outbox.count(State.SENT),
                outbox.count(State.RETRY), outbox.count(State.FAILED), outbox.count(State.WAITING_CONSENT)));
        counts.getParent().layout();
    }
}
