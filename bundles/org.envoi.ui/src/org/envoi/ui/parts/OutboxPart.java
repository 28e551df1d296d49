package org.envoi.ui.parts;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxEntry;
import org.envoi.api.mail.OutboxEntry.State;

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

    @PostConstruct
    public void create(Composite parent, @Service Outbox outbox) {
        create(parent, Messages.platform(), outbox);
    }

    public void create(Composite parent, Messages messages, Outbox outbox) {
        this.m = messages;
        this.outbox = outbox;
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
