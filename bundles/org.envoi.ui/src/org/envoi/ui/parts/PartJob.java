package org.envoi.ui.parts;

import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.ProgressMonitorWrapper;
import org.eclipse.core.runtime.Status;
import org.eclipse.core.runtime.SubMonitor;
import org.eclipse.core.runtime.jobs.Job;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.ProgressBar;
import org.envoi.api.Cancellation;

/**
 * A part's network work as an Eclipse {@link Job}: its progress in the part's own bar (an e4 product has no Progress
 * view), Cancel in the part, the outcome handed back on the UI thread. Cancel cancels the job, and the job's
 * {@link Job#canceling()} cancels the work's {@link Cancellation}, which closes the connection of the step on the wire.
 */
public final class PartJob<T> extends Job {

    /** The work: it reports through {@code monitor} (split it per step) and hears Cancel through both. */
    @FunctionalInterface
    public interface Work<T> {
        T run(SubMonitor monitor, Cancellation cancel) throws Exception;
    }

    private final Work<T> work;
    private final int total;
    private final ProgressBar bar;
    private final Button cancelButton;
    private final Executor ui;
    private final BiConsumer<T, Throwable> done;
    private final Cancellation cancel = new Cancellation();

    /**
     * @param total the work's units (steps, messages), or 1 when they cannot be counted (give an indeterminate bar)
     * @param ui runs on the UI thread: {@code UISynchronize::asyncExec} in the workbench, the display's otherwise
     * @param done on the UI thread, once: the result or what was thrown; never after the part is gone
     */
    public PartJob(String name, int total, ProgressBar bar, Button cancelButton, Executor ui, Work<T> work,
            BiConsumer<T, Throwable> done) {
        super(name);
        this.work = work;
        this.total = total;
        this.bar = bar;
        this.cancelButton = cancelButton;
        this.ui = ui;
        this.done = done;
        setUser(true);
        // cancelled before it ran, a job never runs: the part must hear of it all the same, or it waits forever
        addJobChangeListener(new org.eclipse.core.runtime.jobs.JobChangeAdapter() {
            @Override
            public void done(org.eclipse.core.runtime.jobs.IJobChangeEvent event) {
                if (!ran) {
                    cancel.cancel();
                    finish(null, new java.util.concurrent.CancellationException("cancelled before it started"));
                }
            }
        });
    }

    private volatile boolean ran;

    /** Which job shows in a bar: one cancelled and ending late must not hide the next one's. */
    private static final String OWNER = PartJob.class.getName();

    /** Shows the bar, arms Cancel, schedules the job. On the UI thread. */
    public PartJob<T> start() {
        bar.setData(OWNER, this);
        show(bar, true);
        bar.setSelection(0);
        if (cancelButton != null) {
            cancelButton.setEnabled(true);
        }
        schedule();
        return this;
    }

    public Cancellation cancellation() {
        return cancel;
    }

    @Override
    protected void canceling() {
        cancel.cancel(); // closes the sockets of the step under way; the work sees it between steps too
    }

    @Override
    protected IStatus run(IProgressMonitor monitor) {
        ran = true;
        T result = null;
        Throwable error = null;
        try {
            result = work.run(SubMonitor.convert(new BarMonitor(monitor), getName(), total), cancel);
        } catch (Exception | LinkageError e) {
            error = e;
        }
        finish(result, error);
        // the part shows the outcome, failures included: nothing for the job manager to log
        return cancel.isCancelled() ? Status.CANCEL_STATUS : Status.OK_STATUS;
    }

    /** On the UI thread: the bar goes (when it is still this job's), then the part hears the outcome. */
    private void finish(T r, Throwable e) {
        ui.execute(() -> {
            if (bar.isDisposed()) {
                return;
            }
            if (bar.getData(OWNER) == this) {
                bar.setData(OWNER, null);
                show(bar, false);
                if (cancelButton != null && !cancelButton.isDisposed()) {
                    cancelButton.setEnabled(false);
                }
            }
            done.accept(r, e);
        });
    }

    /** Shows or hides a control, its grid row going with it. */
    public static void show(Control c, boolean visible) {
        if (c.isDisposed()) {
            return;
        }
        c.setVisible(visible);
        if (c.getLayoutData() instanceof GridData g) {
            g.exclude = !visible;
        }
        c.getParent().layout(true, true);
    }

    /** The job's monitor, mirrored in the part's bar; cancelled by Cancel as well as by the job manager. */
    private final class BarMonitor extends ProgressMonitorWrapper {
        private double worked;

        BarMonitor(IProgressMonitor job) {
            super(job);
        }

        @Override
        public void beginTask(String name, int totalWork) {
            super.beginTask(name, totalWork);
            worked = 0;
            ui.execute(() -> {
                if (!bar.isDisposed() && bar.getData(OWNER) == PartJob.this) {
                    bar.setMaximum(Math.max(1, totalWork)); // SubMonitor's own scale
                    bar.setSelection(0);
                }
            });
        }

        @Override
        public void internalWorked(double work) {
            super.internalWorked(work);
            worked += work;
            int now = (int) Math.round(worked);
            ui.execute(() -> {
                if (!bar.isDisposed() && bar.getData(OWNER) == PartJob.this) {
                    bar.setSelection(now);
                }
            });
        }

        @Override
        public void worked(int work) {
            internalWorked(work);
        }

        @Override
        public boolean isCanceled() {
            return super.isCanceled() || cancel.isCancelled();
        }
    }
}
