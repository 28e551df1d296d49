package org.envoi.ui.addons;

import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.ProgressMonitorWrapper;
import org.eclipse.core.runtime.Status;
import org.eclipse.core.runtime.jobs.IJobChangeEvent;
import org.eclipse.core.runtime.jobs.Job;
import org.eclipse.core.runtime.jobs.JobChangeAdapter;
import org.eclipse.equinox.p2.operations.UpdateOperation;
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

/**
 * The Add-ons screen: what the update sites offer and what is installed, grouped by the sites' categories, with
 * install, update and uninstall (hidden when the administrator locked them) run as a background {@link Job} whose
 * progress shows in the screen's bar and which Cancel stops; a change offers the restart. Widgets carry
 * {@value #KEY} data keys for tests and the window log.
 */
public final class AddonsView {

    public static final String KEY = "envoi.id";

    private final Composite root;
    private final Callable<Addons> source;
    private final Executor ui;
    private final ResourceBundle words;
    private final Locale locale;

    private final Table table;
    private final Label status;
    private final ProgressBar progress;
    private final Button cancel;
    private final Button restartButton;
    private Button install;
    private Button update;
    private Button uninstall;

    private volatile Addons addons;
    private volatile Job running;
    private List<Addons.Addon> rows = List.of();

    /**
     * @param source  makes the p2 side on first use, in the background job (p2 does not start with the product)
     * @param ui      runs on the display thread: {@code UISynchronize::asyncExec} in the workbench
     * @param restart what "Restart Envoi" does: {@code IWorkbench::restart} in the workbench
     */
    public AddonsView(Composite parent, AddonsSettings settings, Callable<Addons> source, Executor ui, Runnable restart,
            Locale locale) {
        this.source = source;
        this.ui = ui;
        this.locale = locale;
        this.words = ResourceBundle.getBundle("org.envoi.ui.addons.messages", locale, AddonsView.class
                .getClassLoader());
        root = new Composite(parent, SWT.NONE);
        root.setLayout(new GridLayout(1, false));
        root.setData(KEY, "addons");

        Label sites = label(root, "addons.sites");
        sites.setText(settings.sites().isEmpty() ? text("addons.noSites")
                : text("addons.sites", settings.sites().stream().map(Object::toString).collect(Collectors.joining(
                        ", "))));
        for (String problem : settings.problems()) {
            label(root, "addons.settingsProblem").setText(problem);
        }
        if (settings.locked()) {
            label(root, "addons.locked").setText(text("addons.locked"));
        }

        table = new Table(root, SWT.SINGLE | SWT.FULL_SELECTION | SWT.BORDER | SWT.V_SCROLL);
        table.setData(KEY, "addons.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        int[] widths = { 300, 120, 150, 150 };
        String[] columns = { "addons.col.name", "addons.col.category", "addons.col.installed",
                "addons.col.available" };
        for (int i = 0; i < columns.length; i++) {
            TableColumn c = new TableColumn(table, SWT.LEFT);
            c.setText(text(columns[i]));
            c.setWidth(widths[i]);
        }
        table.addListener(SWT.Selection, e -> enableButtons());

        Composite buttons = new Composite(root, SWT.NONE);
        buttons.setLayout(new GridLayout(6, false));
        buttons.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        if (!settings.locked()) {
            install = button(buttons, "addons.install", () -> change("addons.installing", "addons.done.install",
                    (a, ids, m) -> a.install(ids, m)));
            update = button(buttons, "addons.update", () -> change("addons.updating", "addons.done.update",
                    (a, ids, m) -> a.update(ids, m)));
            uninstall = button(buttons, "addons.uninstall", () -> change("addons.uninstalling",
                    "addons.done.uninstall", (a, ids, m) -> a.uninstall(ids, m)));
        }
        progress = new ProgressBar(buttons, SWT.HORIZONTAL | SWT.SMOOTH);
        progress.setData(KEY, "addons.progress");
        progress.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        cancel = button(buttons, "addons.cancel", () -> {
            Job job = running;
            if (job != null) {
                job.cancel();
            }
        });
        restartButton = button(buttons, "addons.restart", restart);
        restartButton.setEnabled(false);

        status = label(root, "addons.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        idle();
        refresh();
    }

    public Composite control() {
        return root;
    }

    /** Whether a job (reading the sites, installing...) is running. */
    public boolean busy() {
        return running != null;
    }

    /** Reads the sites and the profile again, in the background. */
    public void refresh() {
        run(text("addons.loading"), m -> {
            Addons.Catalog catalog = addons().load(m);
            ui.execute(() -> show(catalog));
            return Status.OK_STATUS;
        }, null);
    }

    private void show(Addons.Catalog catalog) {
        if (table.isDisposed()) {
            return;
        }
        rows = catalog.addons();
        table.removeAll();
        for (Addons.Addon a : rows) {
            TableItem item = new TableItem(table, SWT.NONE);
            item.setText(new String[] { a.name(), a.category().isEmpty() ? text("addons.category.none")
                    : a.category(), a.installed() == null ? "" : a.installed().toString(), a.available() == null
                            ? "" : a.available().toString() });
            item.setData(a);
        }
        status.setText(catalog.problems().isEmpty() ? text("addons.loaded", rows.size())
                : String.join(" ", catalog.problems()));
        enableButtons();
    }

    private interface Change {
        IStatus apply(Addons addons, List<String> ids, IProgressMonitor monitor);
    }

    private void change(String startKey, String doneKey, Change work) {
        Addons.Addon a = selected(); // read here, on the display thread: the job must not touch the widgets
        if (a == null || running != null) {
            return;
        }
        List<String> ids = List.of(a.id());
        status.setText(text(startKey, a.name()));
        run(text(startKey, a.name()), m -> {
            IStatus s = work.apply(addons(), ids, m);
            ui.execute(() -> {
                if (status.isDisposed()) {
                    return;
                }
                if (s.getSeverity() == IStatus.CANCEL) {
                    status.setText(text("addons.cancelled"));
                } else if (s.getCode() == UpdateOperation.STATUS_NOTHING_TO_UPDATE) {
                    status.setText(text("addons.nothingToUpdate", a.name()));
                } else if (s.matches(IStatus.ERROR)) {
                    status.setText(text("addons.failed", message(s)));
                } else {
                    status.setText(text(doneKey, a.name()));
                    restartButton.setEnabled(true);
                }
            });
            return s.getSeverity() == IStatus.CANCEL ? Status.CANCEL_STATUS : Status.OK_STATUS;
        }, this::refreshAfterChange);
    }

    private void refreshAfterChange() {
        // the list shows the new installed versions; the status line keeps saying what happened
        String said = status.getText();
        run(text("addons.loading"), m -> {
            Addons.Catalog catalog = addons().load(m);
            ui.execute(() -> {
                show(catalog);
                status.setText(said);
            });
            return Status.OK_STATUS;
        }, null);
    }

    private interface Work {
        IStatus run(IProgressMonitor monitor) throws Exception;
    }

    /** One background job at a time; its progress goes to the bar, Cancel cancels it. */
    private void run(String name, Work work, Runnable then) {
        busyUi(true);
        Job job = Job.create(name, monitor -> {
            IProgressMonitor bar = new ProgressMonitorWrapper(monitor) {
                private int total;
                private double done;

                @Override
                public void beginTask(String task, int totalWork) {
                    super.beginTask(task, totalWork);
                    total = totalWork;
                    done = 0;
                    ui.execute(() -> {
                        if (!progress.isDisposed()) {
                            progress.setMaximum(Math.max(1, totalWork));
                            progress.setSelection(0);
                        }
                    });
                }

                @Override
                public void internalWorked(double work) {
                    super.internalWorked(work);
                    advance(work);
                }

                @Override
                public void worked(int work) {
                    super.worked(work);
                    advance(work);
                }

                private void advance(double work) {
                    done += work;
                    int at = (int) Math.min(total, done);
                    ui.execute(() -> {
                        if (!progress.isDisposed()) {
                            progress.setSelection(at);
                        }
                    });
                }
            };
            try {
                return work.run(bar);
            } catch (org.eclipse.core.runtime.OperationCanceledException e) {
                return Status.CANCEL_STATUS; // SubMonitor.split throws it once Cancel was pressed
            } catch (Exception e) {
                ui.execute(() -> {
                    if (!status.isDisposed()) {
                        status.setText(text("addons.failed", e.getMessage() == null ? e.toString() : e
                                .getMessage()));
                    }
                });
                return Status.OK_STATUS; // said on the screen; not a second time in an error dialog
            }
        });
        job.addJobChangeListener(new JobChangeAdapter() {
            @Override
            public void done(IJobChangeEvent event) {
                ui.execute(() -> {
                    running = null;
                    if (root.isDisposed()) {
                        return;
                    }
                    busyUi(false);
                    if (event.getResult().getSeverity() == IStatus.CANCEL) {
                        // also when Cancel came before the job ran: p2 changed nothing (or rolled back)
                        status.setText(text("addons.cancelled"));
                    } else if (then != null) {
                        then.run();
                    }
                });
            }
        });
        running = job;
        job.schedule();
    }

    private Addons addons() throws Exception {
        Addons a = addons;
        if (a == null) {
            a = source.call();
            addons = a;
        }
        return a;
    }

    private void busyUi(boolean busy) {
        progress.setVisible(busy);
        cancel.setEnabled(busy);
        table.setEnabled(!busy);
        if (busy) {
            for (Button b : new Button[] { install, update, uninstall }) {
                if (b != null) {
                    b.setEnabled(false);
                }
            }
        } else {
            idle();
            enableButtons();
        }
    }

    private void idle() {
        progress.setSelection(0);
    }

    private void enableButtons() {
        Addons.Addon a = selected();
        boolean free = running == null;
        if (install != null) {
            install.setEnabled(free && a != null && a.canInstall());
            update.setEnabled(free && a != null && a.canUpdate());
            uninstall.setEnabled(free && a != null && a.canUninstall());
        }
    }

    private Addons.Addon selected() {
        int i = table.getSelectionIndex();
        return i < 0 ? null : (Addons.Addon) table.getItem(i).getData();
    }

    private static String message(IStatus s) {
        StringBuilder b = new StringBuilder(s.getMessage());
        for (IStatus child : s.getChildren()) {
            if (child.matches(IStatus.ERROR) && !child.getMessage().isBlank()) {
                b.append(" ").append(child.getMessage());
            }
        }
        return b.toString().replace('\n', ' ');
    }

    private Label label(Composite parent, String key) {
        Label l = new Label(parent, SWT.WRAP);
        l.setData(KEY, key);
        l.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        return l;
    }

    private Button button(Composite parent, String key, Runnable action) {
        Button b = new Button(parent, SWT.PUSH);
        b.setData(KEY, key);
        b.setText(text(key));
        b.addListener(SWT.Selection, e -> action.run());
        return b;
    }

    String text(String key, Object... args) {
        return new MessageFormat(words.getString(key), locale).format(args);
    }
}
