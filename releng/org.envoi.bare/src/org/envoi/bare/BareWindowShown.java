package org.envoi.bare;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.di.UIEventTopic;
import org.eclipse.e4.ui.workbench.UIEvents;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.osgi.service.event.Event;

import jakarta.inject.Inject;

/**
 * The bare product's counterpart of Envoi's {@code WindowShownLog}: once the workbench has started, at the next turn
 * of the event loop (the window rendered), one log line that StartupBenchmark waits for.
 */
public final class BareWindowShown {

    private static final Logger LOG = System.getLogger(BareWindowShown.class.getName());

    @Inject
    @Optional
    void startupComplete(@UIEventTopic(UIEvents.UILifeCycle.APP_STARTUP_COMPLETE) Event event) {
        Display display = Display.getCurrent();
        if (display != null) {
            display.asyncExec(() -> {
                StringBuilder b = new StringBuilder();
                for (Shell shell : display.getShells()) {
                    if (shell.isVisible()) {
                        b.append('"').append(shell.getText()).append("\" ").append(shell.getSize().x).append('x')
                                .append(shell.getSize().y);
                    }
                }
                LOG.log(Level.INFO, "Bare window shown: " + b);
            });
        }
    }
}
