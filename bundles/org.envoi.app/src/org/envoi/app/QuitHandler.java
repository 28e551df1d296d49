package org.envoi.app;

import org.eclipse.e4.core.di.annotations.Execute;
import org.eclipse.e4.ui.workbench.IWorkbench;

/** File > Quit: closes the workbench (the model is not kept: {@code clearPersistedState}). */
public final class QuitHandler {

    @Execute
    void quit(IWorkbench workbench) {
        workbench.close();
    }
}
