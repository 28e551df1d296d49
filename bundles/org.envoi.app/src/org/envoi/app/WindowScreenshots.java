package org.envoi.app;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.e4.core.commands.ECommandService;
import org.eclipse.e4.core.commands.EHandlerService;
import org.eclipse.e4.core.contexts.IEclipseContext;
import org.eclipse.e4.ui.model.application.MApplication;
import org.eclipse.e4.ui.model.application.ui.basic.MPart;
import org.eclipse.e4.ui.model.application.ui.basic.MPartStack;
import org.eclipse.e4.ui.model.application.ui.basic.MWindow;
import org.eclipse.e4.ui.workbench.modeling.EModelService;
import org.eclipse.e4.ui.workbench.modeling.EPartService;
import org.eclipse.swt.SWT;
import org.eclipse.swt.graphics.GC;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.ImageData;
import org.eclipse.swt.graphics.ImageLoader;
import org.eclipse.swt.graphics.Rectangle;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;

/**
 * Only when {@code -D}{@value #PROPERTY}{@code =DIR} is set (the product start test, a writer of the manual): pictures
 * of the whole window, menu bar and tabs included, with each part selected in turn, then of Help > About opened
 * through its command, saved as {@code window-<part>-<language>.png} in DIR; then one log line names the files and
 * what About showed, and File > Quit's command ends the product (a batch run: the start test checks that it exits 0).
 */
final class WindowScreenshots {

    static final String PROPERTY = "envoi.screenshots";
    private static final Logger LOG = System.getLogger(WindowScreenshots.class.getName());

    private final MApplication application;
    private final Path folder;

    WindowScreenshots(MApplication application, Path folder) {
        this.application = application;
        this.folder = folder;
    }

    void take() {
        List<String> saved = new ArrayList<>();
        List<String> cut = new ArrayList<>();
        String about = "";
        try {
            Files.createDirectories(folder);
            EModelService models = application.getContext().get(EModelService.class);
            MWindow window = (MWindow) models.find(MainWindow.WINDOW, application);
            MPartStack stack = (MPartStack) models.find(MainWindow.STACK, application);
            Shell shell = (Shell) window.getWidget();
            EPartService parts = window.getContext().get(EPartService.class);
            String lang = Locale.getDefault().getLanguage();
            List<MPart> all = stack.getChildren().stream().filter(MPart.class::isInstance).map(MPart.class::cast)
                    .toList();
            for (MPart part : all) {
                parts.activate(part);
                saved.add(save(shell, "window-" + shortName(part) + "-" + lang));
                if (part.getWidget() instanceof org.eclipse.swt.widgets.Control control) {
                    List<String> off = WindowShownLog.cutOff(control);
                    if (!off.isEmpty()) {
                        cut.add(shortName(part) + " " + off);
                    }
                }
            }
            if (!all.isEmpty()) {
                parts.activate(all.get(0));
            }
            IEclipseContext context = window.getContext();
            EHandlerService handlers = context.get(EHandlerService.class);
            ECommandService commands = context.get(ECommandService.class);
            handlers.executeHandler(commands.createCommand("org.eclipse.ui.help.aboutAction", null));
            for (Shell s : shell.getShells()) {
                if ("about".equals(s.getData(AboutHandler.KEY)) && s.isVisible()) {
                    saved.add(save(s, "window-about-" + lang));
                    about = "\"" + s.getText() + "\" " + WindowShownLog.keyed(s);
                    s.close();
                }
            }
        } catch (Exception | LinkageError e) {
            LOG.log(Level.ERROR, "Envoi screenshots failed", e);
        }
        LOG.log(Level.INFO, "Envoi screenshots: " + String.join(", ", saved) + " in " + folder + "; about: "
                + about + (cut.isEmpty() ? "" : "; cut off: " + String.join("; ", cut)));
        try {
            IEclipseContext context = application.getContext();
            context.get(EHandlerService.class).executeHandler(context.get(ECommandService.class).createCommand(
                    "org.eclipse.ui.file.exit", null));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Envoi screenshots: File > Quit failed", e);
        }
    }

    private static String shortName(MPart part) {
        String id = part.getElementId();
        return id.substring(id.lastIndexOf('.') + 1);
    }

    /**
     * The shell as it is on the screen: the main window read from the display at its place (menu bar included; no
     * frame under Xvfb), a dialog from its own client area (GTK places a frame-less dialog's content off its bounds).
     */
    private String save(Shell shell, String name) throws java.io.IOException {
        Display display = shell.getDisplay();
        shell.layout(true, true);
        for (int i = 0; i < 10; i++) {
            while (display.readAndDispatch()) {
                // let the part lay itself out and draw
            }
            try {
                Thread.sleep(20); // GTK draws on its frame clock
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shell.update();
        boolean main = shell.getParent() == null;
        Rectangle r = main ? shell.getBounds() : shell.getClientArea();
        Image image = new Image(display, r.width, r.height);
        GC gc = main ? new GC(display) : new GC(shell);
        try {
            gc.copyArea(image, r.x, r.y);
            ImageLoader loader = new ImageLoader();
            loader.data = new ImageData[] { image.getImageData() };
            Path file = folder.resolve(name + ".png");
            loader.save(file.toString(), SWT.IMAGE_PNG);
            return file.getFileName().toString();
        } finally {
            gc.dispose();
            image.dispose();
        }
    }
}
