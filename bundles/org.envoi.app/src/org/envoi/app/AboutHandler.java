package org.envoi.app;

import java.nio.file.Path;

import org.eclipse.e4.core.di.annotations.Execute;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Text;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.Version;

import jakarta.inject.Named;

/**
 * Help > About Envoi: what a support person asks first, the version, the data folder and the log file, in fields that
 * can be selected and copied. The dialog is modal but opened without an event loop of its own, so that the command
 * returns at once.
 */
public final class AboutHandler {

    static final String KEY = "envoi.id";

    @Execute
    void about(@Named("activeShell") Shell parent) {
        Shell dialog = new Shell(parent, SWT.DIALOG_TRIM | SWT.APPLICATION_MODAL);
        dialog.setText(AppMessages.get("about.title"));
        dialog.setData(KEY, "about");
        dialog.setLayout(new GridLayout(2, false));
        Label version = new Label(dialog, SWT.NONE);
        version.setText(version());
        version.setData(KEY, "about.version");
        version.setData(WindowShownLog.LOGGED, Boolean.TRUE);
        version.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        field(dialog, "about.data", MainWindow.dataFolder().toString());
        field(dialog, "about.log", logFile().toString());
        Label console = new Label(dialog, SWT.WRAP);
        console.setText(AppMessages.get("about.console"));
        GridData cd = new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1);
        cd.widthHint = 480;
        console.setLayoutData(cd);
        Button close = new Button(dialog, SWT.PUSH);
        close.setText(AppMessages.get("about.close"));
        close.setData(KEY, "about.close");
        close.setLayoutData(new GridData(SWT.END, SWT.CENTER, false, false, 2, 1));
        close.addListener(SWT.Selection, e -> dialog.close());
        dialog.setDefaultButton(close);
        dialog.pack();
        dialog.setLocation(parent.getLocation().x + (parent.getSize().x - dialog.getSize().x) / 2, parent
                .getLocation().y + (parent.getSize().y - dialog.getSize().y) / 3);
        dialog.open();
    }

    private static void field(Shell dialog, String key, String value) {
        new Label(dialog, SWT.NONE).setText(AppMessages.get(key));
        Text text = new Text(dialog, SWT.READ_ONLY | SWT.BORDER);
        text.setText(value);
        text.setData(KEY, key);
        text.setData(WindowShownLog.LOGGED, Boolean.TRUE);
        GridData gd = new GridData(SWT.FILL, SWT.CENTER, true, false);
        gd.widthHint = Math.max(360, text.computeSize(SWT.DEFAULT, SWT.DEFAULT).x);
        text.setLayoutData(gd);
    }

    static String version() {
        Bundle bundle = FrameworkUtil.getBundle(AboutHandler.class);
        Version v = bundle != null ? bundle.getVersion() : Version.emptyVersion;
        return AppMessages.get("about.version", v.getMajor() + "." + v.getMinor() + "." + v.getMicro(), v
                .getQualifier().isEmpty() ? "-" : v.getQualifier());
    }

    /**
     * The platform's log: Equinox names it in {@code osgi.logfile} once it writes there; before that, where it will
     * be: {@code .metadata/.log} of the workspace ({@code -data}, the data folder's {@code workspace}).
     */
    static Path logFile() {
        String named = System.getProperty("osgi.logfile");
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        String instance = System.getProperty("osgi.instance.area");
        Path workspace = instance != null && instance.startsWith("file:") ? Path.of(instance.substring(5))
                : MainWindow.dataFolder().resolve("workspace");
        return workspace.resolve(".metadata").resolve(".log");
    }
}
