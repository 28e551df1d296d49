package org.envoi.app;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.di.UIEventTopic;
import org.eclipse.e4.ui.workbench.UIEvents;
import org.eclipse.swt.custom.CTabFolder;
import org.eclipse.swt.custom.CTabItem;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.osgi.service.event.Event;

import jakarta.inject.Inject;

/**
 * Once the workbench has rendered its window, one log line says what it shows, read from the widgets themselves
 * (not from the services behind them): each visible window's title and size, its part tabs with the selected one, and
 * the visible controls of the selected part by their {@code envoi.id} keys, with a choice's items. A support person
 * reads from it whether the window came up whole; the product start test checks it.
 */
public final class WindowShownLog {

    private static final Logger LOG = System.getLogger(WindowShownLog.class.getName());
    private static final String KEY = "envoi.id";

    @Inject
    @Optional
    void startupComplete(@UIEventTopic(UIEvents.UILifeCycle.APP_STARTUP_COMPLETE) Event event) {
        Display display = Display.getCurrent();
        if (display != null) {
            display.asyncExec(() -> LOG.log(Level.INFO, "Envoi window shown: " + describe(display)));
        }
    }

    static String describe(Display display) {
        List<String> windows = new ArrayList<>();
        for (Shell shell : display.getShells()) {
            if (shell.isDisposed() || !shell.isVisible()) {
                continue;
            }
            StringBuilder b = new StringBuilder("\"" + shell.getText() + "\" " + shell.getSize().x + "x"
                    + shell.getSize().y);
            for (CTabFolder folder : visible(shell, CTabFolder.class)) {
                List<String> tabs = new ArrayList<>();
                for (CTabItem item : folder.getItems()) {
                    tabs.add(item == folder.getSelection() ? "[" + item.getText() + "]" : item.getText());
                }
                b.append("; tabs: ").append(String.join(", ", tabs));
                CTabItem selected = folder.getSelection();
                if (selected != null && selected.getControl() != null && selected.getControl().isVisible()) {
                    b.append("; ").append(selected.getText()).append(" shows: ").append(keyed(selected.getControl()));
                }
            }
            windows.add(b.toString());
        }
        return windows.isEmpty() ? "no visible window" : String.join(" | ", windows);
    }

    /** The visible controls that carry an {@code envoi.id} key, with the items of a choice or the rows of a table. */
    private static String keyed(Control root) {
        List<String> out = new ArrayList<>();
        for (Control c : visible(root, Control.class)) {
            if (!(c.getData(KEY) instanceof String key)) {
                continue;
            }
            if (c instanceof Combo combo) {
                out.add(key + " " + List.of(combo.getItems()));
            } else if (c instanceof Table table) {
                out.add(key + " (" + table.getItemCount() + " rows)");
            } else {
                out.add(key);
            }
        }
        return out.isEmpty() ? "nothing" : String.join(", ", out);
    }

    /** The controls of that type under {@code root} (itself included) that are shown and have a size. */
    private static <T extends Control> List<T> visible(Control root, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (!root.isVisible() || root.getSize().x == 0 || root.getSize().y == 0) {
            return out;
        }
        if (type.isInstance(root)) {
            out.add(type.cast(root));
        }
        if (root instanceof Composite composite) {
            for (Control child : composite.getChildren()) {
                out.addAll(visible(child, type));
            }
        }
        return out;
    }
}
