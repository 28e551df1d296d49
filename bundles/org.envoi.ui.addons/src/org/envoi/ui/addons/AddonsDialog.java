package org.envoi.ui.addons;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Shell;

/** The Add-ons screen in its own window, over the main window. */
public final class AddonsDialog {

    private AddonsDialog() {
    }

    public static Shell open(Shell parent, AddonsSettings settings, Callable<Addons> source, Executor ui,
            Runnable restart, Locale locale) {
        Shell shell = new Shell(parent, SWT.DIALOG_TRIM | SWT.RESIZE | SWT.APPLICATION_MODAL);
        shell.setLayout(new GridLayout(1, false));
        AddonsView view = new AddonsView(shell, settings, source, ui, restart, locale);
        view.control().setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        shell.setText(view.text("addons.title"));
        Button close = new Button(shell, SWT.PUSH);
        close.setData(AddonsView.KEY, "addons.close");
        close.setText(view.text("addons.close"));
        close.setLayoutData(new GridData(SWT.END, SWT.CENTER, false, false));
        close.addListener(SWT.Selection, e -> shell.close());
        shell.setDefaultButton(close);
        shell.setSize(820, 520);
        shell.open();
        return shell;
    }
}
