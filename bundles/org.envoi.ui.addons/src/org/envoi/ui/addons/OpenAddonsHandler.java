package org.envoi.ui.addons;

import java.util.Locale;

import org.eclipse.e4.core.di.annotations.Execute;
import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.di.UISynchronize;
import org.eclipse.e4.ui.workbench.IWorkbench;
import org.eclipse.swt.widgets.Shell;

import jakarta.inject.Named;

/** Add-ons > Add-ons…: opens the screen on the running product's p2 profile. */
public class OpenAddonsHandler {

    @Execute
    public void execute(@Optional @Named("activeShell") Shell shell, UISynchronize sync, IWorkbench workbench) {
        AddonsSettings settings = AddonsSettings.current();
        AddonsDialog.open(shell, settings, () -> Addons.forRunningProduct(settings.sites()), sync::asyncExec,
                workbench::restart, Locale.getDefault());
    }
}
