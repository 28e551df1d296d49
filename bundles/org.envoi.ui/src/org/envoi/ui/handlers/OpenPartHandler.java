package org.envoi.ui.handlers;

import java.util.List;

import jakarta.inject.Named;

import org.eclipse.e4.core.di.annotations.CanExecute;
import org.eclipse.e4.core.di.annotations.Execute;
import org.eclipse.e4.core.di.annotations.Optional;
import org.eclipse.e4.ui.model.application.descriptor.basic.MPartDescriptor;
import org.eclipse.e4.ui.model.application.ui.MElementContainer;
import org.eclipse.e4.ui.model.application.ui.basic.MPart;
import org.eclipse.e4.ui.model.application.ui.basic.MPartStack;
import org.eclipse.e4.ui.model.application.ui.basic.MWindow;
import org.eclipse.e4.ui.workbench.modeling.EModelService;
import org.eclipse.e4.ui.workbench.modeling.EPartService;
import org.eclipse.e4.ui.workbench.modeling.EPartService.PartState;

/**
 * The handler of {@value #COMMAND}, which the fragment contributes to any e4 application: shows the Envoi part whose
 * id is the command's parameter {@value #PART}, created from its descriptor the first time.
 * <p>
 * Where a new part goes: e4 puts a part made from a descriptor into the window's container tagged with the
 * descriptor's category ({@value #CATEGORY}), and a host that tags one of its stacks so chooses. Without such a tag,
 * e4 looks for the window's last part stack that has parts, and makes a new stack beside the host's layout when all
 * are empty (an ERP window that opens with an empty stack): so here, the part goes into the stack of the active part,
 * else the window's first part stack, empty or not.
 */
public final class OpenPartHandler {

    /** The command's id, as in {@code fragment.e4xmi}. */
    public static final String COMMAND = "org.envoi.ui.command.openPart";
    /** Its parameter: the id of the part to show, e.g. {@code org.envoi.ui.part.flows}. */
    public static final String PART = "org.envoi.ui.command.openPart.partId";
    /** The descriptors' category: the tag of the container a host chooses for Envoi's parts. */
    public static final String CATEGORY = "Envoi";

    @CanExecute
    public boolean canExecute(EModelService models, @Optional @Named(PART) String partId) {
        // only Envoi's own descriptors: the command is no general "show view" for the host's parts
        return partId != null && partId.startsWith("org.envoi.") && models.getPartDescriptor(partId) != null;
    }

    @Execute
    public void execute(EPartService parts, EModelService models, MWindow window, @Named(PART) String partId) {
        MPart part = parts.findPart(partId);
        if (part == null && models.findElements(window, null, MElementContainer.class, List.of(CATEGORY)).isEmpty()) {
            MPartStack stack = stackFor(parts, models, window);
            if (stack != null) {
                MPartDescriptor descriptor = models.getPartDescriptor(partId);
                part = models.createPart(descriptor);
                stack.getChildren().add(part);
            }
        }
        if (part == null) {
            parts.showPart(partId, PartState.ACTIVATE); // e4's placement: the container tagged Envoi
        } else {
            parts.showPart(part, PartState.ACTIVATE);
        }
    }

    /** The active part's stack, else the window's first rendered part stack; null when the window has none. */
    private static MPartStack stackFor(EPartService parts, EModelService models, MWindow window) {
        MPart active = parts.getActivePart();
        Object parent = active == null ? null : active.getParent();
        if (parent instanceof MPartStack s && models.getTopLevelWindowFor(s) == window) {
            return s;
        }
        return models.findElements(window, null, MPartStack.class).stream().filter(MPartStack::isToBeRendered)
                .findFirst().orElse(null);
    }
}
