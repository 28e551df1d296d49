package org.envoi.ui.consent;

import java.time.Duration;
import java.util.function.Supplier;

import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.EnvoiException;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.oauth.TokenSet;
import org.envoi.ui.parts.Messages;

/**
 * The operator's sign-in for a flow, three ways from one dialog: inside the application (embedded browser), in the
 * system browser (loopback listener), or with a code typed on another device (RFC 8628) for terminal-server sessions
 * where no browser can open. The work runs off the UI thread; the dialog shows the code and the outcome.
 */
public final class SignInDialog {

    public static final String KEY = EmbeddedConsentHandler.KEY;
    private static final Duration CONSENT = Duration.ofMinutes(5);
    private static final Duration DEVICE = Duration.ofMinutes(15);

    private final Shell shell;
    private final Messages m;
    private final TokenService tokens;
    private final FlowAdmin.SignInTarget target;
    private Label status;
    private Label who;
    private Text code;
    private Text url;
    private Button[] ways;
    private org.eclipse.swt.widgets.ProgressBar progress;
    private Button cancel;
    /** The sign-in under way: Cancel cancels it. */
    private org.envoi.ui.parts.PartJob<TokenSet> job;

    public SignInDialog(Shell parent, Messages m, TokenService tokens, FlowAdmin.SignInTarget target,
            ConsentHandler embedded, ConsentHandler systemBrowser) {
        this.m = m;
        this.tokens = tokens;
        this.target = target;
        shell = new Shell(parent, SWT.DIALOG_TRIM | SWT.RESIZE);
        shell.setText(m.get("signin.title"));
        shell.setData(KEY, "signin.shell");
        shell.setLayout(new GridLayout(3, true));
        who = new Label(shell, SWT.NONE);
        who.setData(KEY, "signin.who");
        who.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 3, 1));
        Button here = way("signin.embedded", "signin.embedded", () -> tokens.authorize(target.client(), target.owner(),
                embedded, CONSENT));
        Button browser = way("signin.browser", "signin.browser", () -> tokens.authorize(target.client(),
                target.owner(), systemBrowser, CONSENT));
        Button device = way("signin.device", "signin.device", () -> tokens.authorizeWithDeviceCode(target.client(),
                target.owner(), (userCode, uri, complete, expires) -> shell.getDisplay().asyncExec(() -> {
                    if (!code.isDisposed()) {
                        code.setText(userCode);
                        url.setText(complete.orElse(uri).toString());
                        status.setText(m.get("signin.deviceHint", uri, expires.toMinutes()));
                    }
                }), DEVICE));
        device.setEnabled(target.client().deviceUri().isPresent());
        ways = new Button[] { here, browser, device };
        new Label(shell, SWT.NONE).setText(m.get("signin.code"));
        code = readOnly("signin.code");
        new Label(shell, SWT.NONE).setText(m.get("signin.url"));
        url = readOnly("signin.url");
        status = new Label(shell, SWT.WRAP);
        status.setData(KEY, "signin.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 3, 1));
        // while the consent and the token exchange run: a moving bar and Cancel
        progress = new org.eclipse.swt.widgets.ProgressBar(shell, SWT.HORIZONTAL | SWT.INDETERMINATE);
        progress.setData(KEY, "signin.progress");
        progress.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        cancel = new Button(shell, SWT.PUSH);
        cancel.setText(m.get("signin.cancel"));
        cancel.setData(KEY, "signin.cancel");
        cancel.setEnabled(false);
        cancel.addListener(SWT.Selection, e -> cancel());
        org.envoi.ui.parts.PartJob.show(progress, false);
        shell.addListener(SWT.Dispose, e -> {
            if (job != null) {
                job.cancel(); // the dialog closed: the sign-in under way stops too
            }
        });
        shell.setSize(720, 300);
    }

    /** Says whose sign-in this is (Flow health's row). */
    public void who(String operator, String flow) {
        who.setText(m.get("signin.who", operator, flow));
    }

    private Text readOnly(String key) {
        Text t = new Text(shell, SWT.BORDER | SWT.READ_ONLY);
        t.setData(KEY, key);
        t.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        return t;
    }

    private Button way(String label, String key, Supplier<TokenSet> work) {
        Button b = new Button(shell, SWT.PUSH);
        b.setText(m.get(label));
        b.setData(KEY, key);
        b.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        b.addListener(SWT.Selection, e -> run(work));
        return b;
    }

    /**
     * Runs the sign-in as a job. Cancel answers at once (the dialog stops waiting, the ways come back); the job is
     * cancelled: the consent window closes, a device-code wait is interrupted, and the token exchange under way is
     * abandoned, so nothing it brings is stored.
     */
    private void run(Supplier<TokenSet> work) {
        for (Button b : ways) {
            b.setEnabled(false);
        }
        status.setText(m.get("signin.waiting"));
        Display display = shell.getDisplay();
        org.envoi.ui.parts.PartJob<TokenSet>[] self = new org.envoi.ui.parts.PartJob[1];
        self[0] = new org.envoi.ui.parts.PartJob<TokenSet>(m.get("signin.title"), 1, progress, cancel,
                display::asyncExec, (monitor, cancellation) -> {
                    Thread worker = Thread.currentThread();
                    try (org.envoi.api.Cancellation.Registration r = cancellation.whenCancelled(worker::interrupt)) {
                        return cancellation.during(work);
                    } finally {
                        Thread.interrupted(); // a pooled job thread is not left interrupted
                    }
                }, (t, error) -> {
                    if (job != self[0]) {
                        return; // cancelled: the dialog already said so
                    }
                    job = null;
                    ready();
                    if (error == null) {
                        status.setText(m.get("signin.done"));
                    } else {
                        status.setText(error instanceof EnvoiException ee ? ee.toString() : error.toString());
                    }
                });
        job = self[0];
        job.start();
    }

    private void cancel() {
        if (job == null) {
            return;
        }
        job.cancel();
        job = null;
        org.envoi.ui.parts.PartJob.show(progress, false);
        cancel.setEnabled(false);
        ready();
        status.setText(m.get("signin.cancelled"));
    }

    private void ready() {
        if (shell.isDisposed()) {
            return;
        }
        for (Button b : ways) {
            b.setEnabled(true);
        }
        ways[2].setEnabled(target.client().deviceUri().isPresent());
    }

    public Shell shell() {
        return shell;
    }

    public void open() {
        shell.open();
    }
}
