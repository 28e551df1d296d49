package org.envoi.ui.parts;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.EnvoiException;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.mail.FetchedMail;

import jakarta.annotation.PostConstruct;

/**
 * The operator's inbox: "Fetch" reads the new mail of their flow in the background (never the same mail twice, across
 * restarts) and adds it to the list, newest first.
 */
public class InboxPart {

    static final String KEY = ProvidersPart.KEY;

    private Messages m;
    private MailFetcher fetcher;
    private Text operator;
    private Button fetch;
    private Label status;
    private Table table;

    @PostConstruct
    public void create(Composite parent, @Service MailFetcher fetcher) {
        create(parent, Messages.platform(), fetcher);
    }

    public void create(Composite parent, Messages messages, MailFetcher fetcher) {
        this.m = messages;
        this.fetcher = fetcher;
        parent.setLayout(new GridLayout(4, false));
        new Label(parent, SWT.NONE).setText(m.get("flows.operator"));
        operator = new Text(parent, SWT.BORDER);
        operator.setData(KEY, "inbox.operator");
        operator.setLayoutData(new GridData(160, SWT.DEFAULT));
        fetch = new Button(parent, SWT.PUSH);
        fetch.setText(m.get("inbox.fetch"));
        fetch.setData(KEY, "inbox.fetch");
        fetch.addListener(SWT.Selection, e -> fetch());
        status = new Label(parent, SWT.WRAP);
        status.setData(KEY, "inbox.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION);
        table.setData(KEY, "inbox.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true, 4, 1));
        for (String h : new String[] { m.get("inbox.from"), m.get("outbox.subject"), "Message-ID" }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
    }

    private void fetch() {
        String who = operator.getText().strip();
        fetch.setEnabled(false);
        status.setText(m.get("inbox.fetching", who));
        Display display = table.getDisplay();
        CompletableFuture.supplyAsync(() -> fetcher.fetchNew(who, "INBOX")).whenComplete((mails, error) ->
                display.asyncExec(() -> show(mails, error)));
    }

    private void show(List<FetchedMail> mails, Throwable error) {
        if (table.isDisposed()) {
            return;
        }
        fetch.setEnabled(true);
        if (error != null) {
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            status.setText(cause instanceof EnvoiException ee ? ee.toString() : cause.toString());
            return;
        }
        for (FetchedMail f : mails) {
            TableItem i = new TableItem(table, SWT.NONE, 0);
            i.setText(new String[] { f.from(), f.subject(), f.messageId() });
            i.setData(KEY, "inbox.mail." + f.messageId());
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
        status.setText(m.get("inbox.fetched", mails.size()));
    }
}
