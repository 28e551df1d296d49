package org.envoi.ui.tests;

import static org.envoi.ui.tests.UiPartsTest.click;
import static org.envoi.ui.tests.UiPartsTest.label;
import static org.envoi.ui.tests.UiPartsTest.pump;
import static org.envoi.ui.tests.UiPartsTest.type;
import static org.envoi.ui.tests.UiPartsTest.widget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

import org.eclipse.swt.SWT;
import org.eclipse.swt.custom.ScrolledComposite;
import org.eclipse.swt.graphics.Point;
import org.eclipse.swt.graphics.Rectangle;
import org.eclipse.swt.layout.FillLayout;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Event;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.ui.parts.FlowsPart;
import org.envoi.ui.parts.Messages;
import org.envoi.ui.parts.ProvidersPart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/**
 * The flows form as a newcomer meets it (issue 19, point 0), on the real services: a blank new flow is not red
 * before anything is typed, a touched field shows its problem and Save shows them all, each problem wraps whole inside
 * the window, no tooltip keeps an earlier problem, the first stored flow is selected and shown, and in a window at the
 * product's minimum size Save stays in view while the fields scroll.
 */
class FlowsFormTest {

    private static BundleContext ctx;

    @BeforeAll
    static void open() {
        UiPartsTest.requireDisplay();
        ctx = OsgiServices.context(FlowsFormTest.class);
    }

    private static void inShell(int width, int height, Consumer<Shell> drive) {
        Shell shell = new Shell(Display.getDefault());
        shell.setLayout(new FillLayout());
        shell.setSize(width, height);
        Composite c = new Composite(shell, SWT.NONE);
        new FlowsPart().create(c, Messages.of(Locale.ENGLISH), OsgiServices.get(ctx, FlowAdmin.class, null),
                OsgiServices.get(ctx, FlowRepository.class, null), OsgiServices.get(ctx, ProviderRegistry.class,
                        null), OsgiServices.get(ctx, FlowTester.class, null));
        shell.open();
        pump();
        // GTK gives the frame its size after the first layout: lay out again, as the product's window does
        shell.layout(true, true);
        pump();
        try {
            drive.accept(shell);
        } finally {
            shell.dispose();
        }
    }

    @Test
    void aBlankFlowIsNotRedUntilAFieldIsTouchedAndSaveShowsEveryProblem() {
        inShell(1100, 700, shell -> {
            click(shell, "flows.new");
            assertEquals(List.of(), saying(shell), "a blank form says nothing is wrong before anything is typed");
            assertEquals("", label(shell, "flow.status"));
            type(shell, "flow.id", "not an id!");
            assertFalse(label(shell, "problem.id").isEmpty(), "the touched field shows its problem");
            assertEquals("", label(shell, "problem.clientId"), "an untouched one does not, yet");
            click(shell, "flow.save");
            assertFalse(label(shell, "problem.clientId").isEmpty(), "Save shows every problem: " + saying(shell));
            click(shell, "flows.new");
            assertEquals(List.of(), saying(shell), "a new blank form starts clean again");
        });
    }

    @Test
    void problemsWrapWholeInsideTheWindowAndNoTooltipKeepsAnEarlierOne() {
        inShell(900, 570, shell -> {
            click(shell, "flows.new");
            // the preset fills the SMTP host before its port: a moment with a host and no port
            for (Control c : keyed(shell)) {
                String tip = c.getToolTipText();
                assertTrue(tip == null || !tip.contains("out of range"), c.getData(ProvidersPart.KEY) + ": " + tip);
            }
            click(shell, "flow.save");
            List<String> said = saying(shell);
            assertFalse(said.isEmpty());
            for (Control c : keyed(shell)) {
                if (c instanceof Label l && l.getData(ProvidersPart.KEY).toString().startsWith("problem.")
                        && !l.getText().isEmpty()) {
                    assertNull(l.getToolTipText(), "the sentence is shown, not hidden in a tooltip");
                    assertTrue((l.getStyle() & SWT.WRAP) != 0, l.getData(ProvidersPart.KEY) + " wraps");
                    Point needed = l.computeSize(l.getSize().x, SWT.DEFAULT);
                    assertTrue(needed.y <= l.getSize().y + 1, l.getData(ProvidersPart.KEY) + " is cut: "
                            + l.getText() + " needs " + needed + ", has " + l.getSize());
                    Rectangle window = display(shell, shell.getClientArea());
                    Rectangle own = display(l.getParent(), l.getBounds());
                    assertTrue(own.x + own.width <= window.x + window.width, l.getData(ProvidersPart.KEY)
                            + " ends past the window's edge: " + own + " in " + window);
                }
            }
        });
    }

    /** The form has no field for a flow's type: a password (BASIC) flow renamed in the desktop stays one. */
    @Test
    void aPasswordFlowEditedInTheFormKeepsItsTypeAndLogin() {
        String id = "ui-basic-" + System.nanoTime();
        FlowAdmin admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        admin.save(new Flow(id, "Relay", FlowType.BASIC, "custom", new ProviderFields("", "", "", List.of(),
                ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(MailServer
                        .of("127.0.0.1", 2525, TlsMode.NONE)), Optional.empty(), Optional.empty(), "compta",
                Optional.empty(), 0, Optional.empty()), Optional.of("the-password"));
        inShell(1100, 700, shell -> {
            Table list = widget(shell, "flows.list");
            for (int i = 0; i < list.getItemCount(); i++) {
                if (id.equals(list.getItem(i).getData())) {
                    list.select(i);
                }
            }
            list.notifyListeners(SWT.Selection, new Event());
            pump();
            type(shell, "flow.name", "Relay renamed");
            click(shell, "flow.save");
        });
        Flow saved = OsgiServices.get(ctx, FlowRepository.class, null).flow(id).orElseThrow();
        assertEquals("Relay renamed", saved.name());
        assertEquals(FlowType.BASIC, saved.type(), "the flow's type after a save from the form");
        assertEquals("compta", saved.username());
    }

    @Test
    void theFirstStoredFlowIsSelectedAndShown() {
        String id = "ui-first-" + System.nanoTime();
        inShell(1100, 700, shell -> {
            click(shell, "flows.new");
            UiPartsTest.select(shell, "flow.preset", "Microsoft 365");
            type(shell, "flow.id", id);
            type(shell, "flow.clientId", "11111111-2222-3333-4444-555555555555");
            type(shell, "flow.tenant", "contoso.onmicrosoft.com");
            click(shell, "flow.save");
        });
        inShell(1100, 700, shell -> {
            Table list = widget(shell, "flows.list");
            assertTrue(list.getItemCount() > 0);
            assertEquals(0, list.getSelectionIndex(), "the first flow is selected");
            assertEquals(list.getItem(0).getData(), UiPartsTest.<Text>widget(shell, "flow.id").getText(),
                    "and it is the one the form shows");
        });
    }

    @Test
    void atTheWindowsMinimumSizeSaveStaysInViewAndTheFieldsScroll() {
        // 760x520, the product's minimum, less its menu bar and tabs
        inShell(760, 450, shell -> {
            click(shell, "flows.new");
            Control save = widget(shell, "flow.save");
            assertTrue(inside(save, shell), "Save is in view: " + display(save.getParent(), save.getBounds())
                    + " in " + display(shell, shell.getClientArea()));
            Control last = widget(shell, "flow.expiry");
            ScrolledComposite scroll = scroller(last);
            assertTrue(scroll != null && scroll.getVerticalBar().isVisible(), "the fields scroll");
            scroll.showControl(last);
            pump();
            assertTrue(inside(last, scroll), "the last field can be scrolled to");
        });
    }

    private static ScrolledComposite scroller(Control c) {
        for (Composite p = c.getParent(); p != null; p = p.getParent()) {
            if (p instanceof ScrolledComposite s) {
                return s;
            }
        }
        return null;
    }

    private static boolean inside(Control c, Composite outer) {
        Rectangle area = display(outer, outer.getClientArea());
        Rectangle b = display(c.getParent(), c.getBounds());
        return b.x >= area.x && b.y >= area.y && b.x + b.width <= area.x + area.width
                && b.y + b.height <= area.y + area.height;
    }

    private static Rectangle display(Composite coordinates, Rectangle r) {
        Point p = coordinates.toDisplay(r.x, r.y);
        return new Rectangle(p.x, p.y, r.width, r.height);
    }

    /** The problem labels that say something, as "key: sentence". */
    private static List<String> saying(Shell shell) {
        List<String> out = new ArrayList<>();
        for (Control c : keyed(shell)) {
            if (c instanceof Label l && l.getData(ProvidersPart.KEY).toString().startsWith("problem.")
                    && !l.getText().isEmpty()) {
                out.add(l.getData(ProvidersPart.KEY) + ": " + l.getText());
            }
        }
        return out;
    }

    private static List<Control> keyed(Control root) {
        List<Control> out = new ArrayList<>();
        if (root.getData(ProvidersPart.KEY) != null) {
            out.add(root);
        }
        if (root instanceof Composite c) {
            for (Control child : c.getChildren()) {
                out.addAll(keyed(child));
            }
        }
        return out;
    }
}
