package org.envoi.ui.parts;

import java.util.List;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.ProgressBar;
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
    private Button cancel;
    private ProgressBar progress;
    /** The fetch under way: Cancel stops it between two messages. */
    private PartJob<List<FetchedMail>> job;
    /** The workbench's UI executor when the part is injected; the display's when a test builds it. */
    @jakarta.inject.Inject
    @org.eclipse.e4.core.di.annotations.Optional
    private org.eclipse.e4.ui.di.UISynchronize sync;

    @PostConstruct
    public void create(Composite parent, @Service MailFetcher fetcher) {
        create(parent, Messages.platform(), fetcher);
    }

    public void create(Composite parent, Messages messages, MailFetcher fetcher) {
        this.m = messages;
        this.fetcher = fetcher;
        parent.setLayout(new GridLayout(5, false));
        new Label(parent, SWT.NONE).setText(m.get("flows.operator"));
        operator = new Text(parent, SWT.BORDER);
        operator.setData(KEY, "inbox.operator");
        operator.setLayoutData(new GridData(160, SWT.DEFAULT));
        fetch = new Button(parent, SWT.PUSH);
        fetch.setText(m.get("inbox.fetch"));
        fetch.setData(KEY, "inbox.fetch");
        fetch.addListener(SWT.Selection, e -> fetch());
        cancel = new Button(parent, SWT.PUSH);
        cancel.setText(m.get("inbox.cancel"));
        cancel.setData(KEY, "inbox.cancel");
        cancel.setEnabled(false);
        cancel.addListener(SWT.Selection, e -> {
            if (job != null) {
                job.cancel();
            }
        });
        status = new Label(parent, SWT.WRAP);
        status.setData(KEY, "inbox.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        progress = new ProgressBar(parent, SWT.HORIZONTAL | SWT.SMOOTH);
        progress.setData(KEY, "inbox.progress");
        progress.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 5, 1));
        PartJob.show(progress, false);
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION);
        table.setData(KEY, "inbox.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true, 5, 1));
        for (String h : new String[] { m.get("inbox.from"), m.get("outbox.subject"), "Message-ID" }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
    }

    /** Fetches as a job: the bar and the status move message by message; Cancel stops between two messages. */
    private void fetch() {
        String who = operator.getText().strip();
        fetch.setEnabled(false);
        status.setText(m.get("inbox.fetching", who));
        java.util.concurrent.Executor ui = sync != null ? sync::asyncExec : table.getDisplay()::asyncExec;
        job = new PartJob<List<FetchedMail>>(m.get("inbox.fetching", who), 1, progress, cancel, ui,
                (monitor, cancellation) -> fetcher.fetchNew(who, "INBOX", MailFetcher.AfterFetch.NOTHING, mails -> {
                }, new MailFetcher.Progress() {
                    @Override
                    public void fetched(int done, int total) {
                        if (done == 0) {
                            monitor.setWorkRemaining(Math.max(1, total));
                        } else {
                            monitor.worked(1);
                        }
                        ui.execute(() -> {
                            if (!status.isDisposed() && job != null) {
                                status.setText(m.get("inbox.progress", done, total));
                            }
                        });
                    }

                    @Override
                    public boolean stop() {
                        return monitor.isCanceled();
                    }
                }), (mails, error) -> {
                    boolean stopped = job != null && job.cancellation().isCancelled();
                    job = null;
                    show(mails, error, stopped);
                });
        job.start();
    }

    private void show(List<FetchedMail> mails, Throwable error, boolean stopped) {
        if (table.isDisposed()) {
            return;
        }
        fetch.setEnabled(true);
        if (error instanceof java.util.concurrent.CancellationException) {
            status.setText(m.get("inbox.stopped", 0)); // cancelled before it started: nothing was read
            return;
        }
        if (error != null) {
            status.setText(error instanceof EnvoiException ee ? ee.toString() : error.toString());
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
        status.setText(m.get(stopped ? "inbox.stopped" : "inbox.fetched", mails.size()));
    }
}
