package org.envoi.app;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.di.UIEventTopic;
import org.eclipse.e4.ui.model.application.MApplication;
import org.eclipse.e4.ui.workbench.UIEvents;
import org.eclipse.swt.SWT;
import org.eclipse.swt.custom.CTabFolder;
import org.eclipse.swt.custom.CTabItem;
import org.eclipse.swt.custom.ScrolledComposite;
import org.eclipse.swt.graphics.Point;
import org.eclipse.swt.graphics.Rectangle;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Menu;
import org.eclipse.swt.widgets.MenuItem;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.Text;
import org.osgi.service.event.Event;

import jakarta.inject.Inject;

/**
 * Once the workbench has rendered its window, one log line says what it shows, read from the widgets themselves
 * (not from the services behind them): each visible window's title, size, minimum size and the screen's, its main
 * menu with each menu's items, its part tabs with the selected one, and the visible controls of the selected part by
 * their {@code envoi.id} keys, with a choice's items, a table's rows and selection, the text of a field that asks for it
 * ({@value #LOGGED}) and each problem label that says something (marked "(cut)" when its text does not fit); keyed
 * controls that are neither in view nor reachable by scrolling are listed as "cut off". A support person reads from it
 * whether the window came up whole; the product start tests check it. With {@code -Denvoi.screenshots=DIR} it then has
 * {@link WindowScreenshots} take its pictures.
 */
public final class WindowShownLog {

    private static final Logger LOG = System.getLogger(WindowShownLog.class.getName());
    private static final String KEY = "envoi.id";
    /** Data key: a field whose text the line gives (an id, never a secret). */
    static final String LOGGED = "envoi.log.text";

    @Inject
    @Optional
    void startupComplete(@UIEventTopic(UIEvents.UILifeCycle.APP_STARTUP_COMPLETE) Event event,
            MApplication application) {
        Display display = Display.getCurrent();
        if (display != null) {
            display.asyncExec(() -> {
                LOG.log(Level.INFO, "Envoi window shown: " + describe(display));
                String shots = System.getProperty(WindowScreenshots.PROPERTY);
                if (shots != null && !shots.isBlank()) {
                    display.asyncExec(() -> new WindowScreenshots(application, java.nio.file.Path.of(shots)).take());
                }
            });
        }
    }

    static String describe(Display display) {
        List<String> windows = new ArrayList<>();
        for (Shell shell : display.getShells()) {
            if (shell.isDisposed() || !shell.isVisible()) {
                continue;
            }
            Rectangle screen = shell.getMonitor().getBounds();
            StringBuilder b = new StringBuilder("\"" + shell.getText() + "\" " + shell.getSize().x + "x"
                    + shell.getSize().y + " min " + shell.getMinimumSize().x + "x" + shell.getMinimumSize().y + " on "
                    + screen.width + "x" + screen.height);
            if (shell.getMenuBar() != null) {
                b.append("; menus: ").append(menus(shell.getMenuBar()));
            }
            for (CTabFolder folder : visible(shell, CTabFolder.class)) {
                List<String> tabs = new ArrayList<>();
                for (CTabItem item : folder.getItems()) {
                    tabs.add(item == folder.getSelection() ? "[" + item.getText() + "]" : item.getText());
                }
                b.append("; tabs: ").append(String.join(", ", tabs));
                CTabItem selected = folder.getSelection();
                if (selected != null && selected.getControl() != null && selected.getControl().isVisible()) {
                    b.append("; ").append(selected.getText()).append(" shows: ").append(keyed(selected.getControl()));
                    List<String> cut = cutOff(selected.getControl());
                    if (!cut.isEmpty()) {
                        b.append("; cut off: ").append(String.join(", ", cut));
                    }
                }
            }
            windows.add(b.toString());
        }
        return windows.isEmpty() ? "no visible window" : String.join(" | ", windows);
    }

    /** "File [Quit], Help [About Envoi]": each menu of the bar with its items, mnemonics left out. */
    private static String menus(Menu bar) {
        List<String> out = new ArrayList<>();
        for (MenuItem menu : bar.getItems()) {
            List<String> items = new ArrayList<>();
            if (menu.getMenu() != null) {
                // e4 fills a menu's items when it is about to show: ask for that as a user opening it would
                menu.getMenu().notifyListeners(SWT.Show, new org.eclipse.swt.widgets.Event());
                for (MenuItem item : menu.getMenu().getItems()) {
                    if ((item.getStyle() & SWT.SEPARATOR) == 0) {
                        items.add(plain(item.getText()));
                    }
                }
                menu.getMenu().notifyListeners(SWT.Hide, new org.eclipse.swt.widgets.Event());
            }
            out.add(plain(menu.getText()) + " " + items);
        }
        return String.join(", ", out);
    }

    private static String plain(String menuText) {
        int tab = menuText.indexOf('\t'); // the key binding
        return (tab >= 0 ? menuText.substring(0, tab) : menuText).replace("&", "");
    }

    /**
     * The visible controls that carry an {@code envoi.id} key, with the items of a choice, the rows and selection of a
     * table, the text of a field marked {@value #LOGGED}, a problem label only when it says something.
     */
    static String keyed(Control root) {
        List<String> out = new ArrayList<>();
        for (Control c : visible(root, Control.class)) {
            if (!(c.getData(KEY) instanceof String key)) {
                continue;
            }
            if (c instanceof Combo combo) {
                out.add(key + " " + List.of(combo.getItems()));
            } else if (c instanceof Table table) {
                List<String> selected = new ArrayList<>();
                for (var item : table.getSelection()) {
                    selected.add(item.getText());
                }
                out.add(key + " (" + table.getItemCount() + " rows" + (selected.isEmpty() ? "" : ", selected: "
                        + String.join(", ", selected)) + ")");
            } else if (c instanceof Label label && key.startsWith("problem.")) {
                if (!label.getText().isEmpty()) {
                    out.add(key + " \"" + label.getText() + "\"" + (fits(label) ? "" : " (cut)"));
                }
            } else if ((c instanceof Text || c instanceof Label) && Boolean.TRUE.equals(c.getData(LOGGED))) {
                out.add(key + " \"" + (c instanceof Text t ? t.getText() : ((Label) c).getText()) + "\"");
            } else {
                out.add(key);
            }
        }
        return out.isEmpty() ? "nothing" : String.join(", ", out);
    }

    /** Whether a label's whole text fits in its size (wrapped at its width when it wraps). */
    private static boolean fits(Label label) {
        Point size = label.getSize();
        Point needed = (label.getStyle() & SWT.WRAP) != 0 ? label.computeSize(size.x, SWT.DEFAULT)
                : label.computeSize(SWT.DEFAULT, SWT.DEFAULT);
        return needed.x <= size.x + 1 && needed.y <= size.y + 1 && inView(label, label.getParent());
    }

    /**
     * The keyed controls a user cannot see whole and cannot scroll to: outside one of their parents' client areas
     * (the window's edge included), unless that parent is a scrolled composite that scrolls in that direction.
     */
    static List<String> cutOff(Control root) {
        List<String> out = new ArrayList<>();
        for (Control c : visible(root, Control.class)) {
            if (c.getData(KEY) instanceof String key && !reachable(c)) {
                out.add(key);
            }
        }
        return out;
    }

    private static boolean reachable(Control c) {
        Control inner = c;
        for (Composite p = c.getParent(); p != null; inner = p, p = p.getParent()) {
            if (!inView(inner, p)) {
                if (p instanceof ScrolledComposite s && scrolls(s, inner)) {
                    continue;
                }
                return false;
            }
            if (p instanceof Shell) {
                break;
            }
        }
        return true;
    }

    /**
     * Whether the scrolled composite {@code s} scrolls in each direction {@code inner}, one of its children, is out of
     * its client area. Both rectangles are in {@code s}'s coordinates: no translation to the screen's (each one a round
     * trip to the X server, a thousand of them for a form's line).
     */
    private static boolean scrolls(ScrolledComposite s, Control inner) {
        Rectangle area = s.getClientArea();
        Rectangle b = inner.getBounds();
        boolean wide = b.x < area.x || b.x + b.width > area.x + area.width;
        boolean tall = b.y < area.y || b.y + b.height > area.y + area.height;
        return (!wide || s.getHorizontalBar() != null && s.getHorizontalBar().isVisible())
                && (!tall || s.getVerticalBar() != null && s.getVerticalBar().isVisible());
    }

    /** Whether {@code c}, a child of {@code parent}, lies whole inside its client area (both in its coordinates). */
    private static boolean inView(Control c, Composite parent) {
        Rectangle area = parent.getClientArea();
        Rectangle b = c.getBounds();
        return b.x >= area.x && b.y >= area.y && b.x + b.width <= area.x + area.width + 1
                && b.y + b.height <= area.y + area.height + 1;
    }

    /** The controls of that type under {@code root} (itself included) that are shown and have a size. */
    static <T extends Control> List<T> visible(Control root, Class<T> type) {
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
