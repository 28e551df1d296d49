package org.envoi.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.di.UIEventTopic;
import org.eclipse.e4.ui.model.application.MApplication;
import org.eclipse.e4.ui.model.application.descriptor.basic.MPartDescriptor;
import org.eclipse.e4.ui.model.application.ui.basic.MPart;
import org.eclipse.e4.ui.model.application.ui.basic.MPartStack;
import org.eclipse.e4.ui.model.application.ui.basic.MWindow;
import org.eclipse.e4.ui.workbench.UIEvents;
import org.eclipse.e4.ui.workbench.modeling.EModelService;
import org.eclipse.swt.graphics.Rectangle;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.envoi.api.DataFolder;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.event.Event;

import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;

/**
 * The product's window, arranged before it is drawn: its tabs are made from the part descriptors {@code org.envoi.ui}'s
 * fragment contributes (the same ones a host application opens; labels live there once), the flows first and
 * selected; its title names the data folder; its first size fits the screen and, once the shell exists, it gets a
 * minimum size below which the forms would stop being usable.
 */
public final class MainWindow {

    static final String WINDOW = "org.envoi.app.window.main";
    static final String STACK = "org.envoi.app.partstack.main";
    /**
     * The tabs in this order; other descriptors that {@code org.envoi.ui} contributes follow in the model's order (a
     * part another bundle describes, such as an add-on's, is opened by its own menu, not made a tab here).
     */
    static final List<String> PARTS = List.of("org.envoi.ui.part.flows", "org.envoi.ui.part.outbox",
            "org.envoi.ui.part.inbox", "org.envoi.ui.part.health", "org.envoi.ui.part.operators",
            "org.envoi.ui.part.mailsettings", "org.envoi.ui.part.providers");
    static final int MIN_WIDTH = 760;
    static final int MIN_HEIGHT = 520;

    @PostConstruct
    void arrange(MApplication application, EModelService models) {
        if (models.find(WINDOW, application) instanceof MWindow window) {
            window.setLabel("Envoi \u2014 " + name(dataFolder()));
            fitScreen(window);
        }
        if (models.find(STACK, application) instanceof MPartStack stack && stack.getChildren().isEmpty()) {
            for (MPartDescriptor d : ordered(application.getDescriptors())) {
                stack.getChildren().add(models.createPart(d));
            }
            if (!stack.getChildren().isEmpty()) {
                stack.setSelectedElement(stack.getChildren().get(0));
            }
        }
    }

    static List<MPartDescriptor> ordered(List<MPartDescriptor> all) {
        List<MPartDescriptor> out = new ArrayList<>();
        for (String id : PARTS) {
            all.stream().filter(d -> id.equals(d.getElementId())).findFirst().ifPresent(out::add);
        }
        all.stream().filter(d -> d.getContributorURI() != null && d.getContributorURI().endsWith("/org.envoi.ui")
                && !out.contains(d)).forEach(out::add);
        return out;
    }

    /** Once the window's shell exists: the minimum size (never more than the screen). */
    @Inject
    @Optional
    void widgetSet(@UIEventTopic(UIEvents.UIElement.TOPIC_WIDGET) Event event) {
        if (event.getProperty(UIEvents.EventTags.ELEMENT) instanceof MWindow window && WINDOW.equals(window
                .getElementId()) && event.getProperty(UIEvents.EventTags.NEW_VALUE) instanceof Shell shell) {
            Rectangle screen = screen(shell.getDisplay());
            shell.setMinimumSize(Math.min(MIN_WIDTH, screen.width), Math.min(MIN_HEIGHT, screen.height));
            // on GTK the window's content is first laid out before the menu bar takes its height, which leaves the
            // bottom of every part under the window's edge: lay it out again once the window is drawn whole
            shell.getDisplay().asyncExec(() -> {
                if (!shell.isDisposed()) {
                    shell.layout(true, true);
                }
            });
        }
    }

    /** The model's size, shrunk to the primary screen's work area when smaller, centred on it. */
    private static void fitScreen(MWindow window) {
        Display display = Display.getCurrent();
        if (display == null) {
            return;
        }
        Rectangle screen = screen(display);
        int width = Math.min(window.getWidth(), screen.width);
        int height = Math.min(window.getHeight(), screen.height);
        window.setWidth(width);
        window.setHeight(height);
        window.setX(screen.x + (screen.width - width) / 2);
        window.setY(screen.y + (screen.height - height) / 2);
    }

    private static Rectangle screen(Display display) {
        return display.getPrimaryMonitor() != null ? display.getPrimaryMonitor().getClientArea()
                : display.getClientArea();
    }

    /** The data folder this Envoi works on ({@code envoi.data}, as the services read it). */
    static Path dataFolder() {
        Bundle bundle = FrameworkUtil.getBundle(MainWindow.class);
        return bundle != null && bundle.getBundleContext() != null ? DataFolder.resolve(bundle
                .getBundleContext()::getProperty) : DataFolder.resolve(System::getProperty);
    }

    private static String name(Path folder) {
        return folder.getFileName() != null ? folder.getFileName().toString() : folder.toString();
    }
}
