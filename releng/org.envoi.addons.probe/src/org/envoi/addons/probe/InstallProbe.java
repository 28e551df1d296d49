package org.envoi.addons.probe;

import java.util.List;

import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.NullProgressMonitor;
import org.eclipse.equinox.app.IApplication;
import org.eclipse.equinox.app.IApplicationContext;
import org.envoi.ui.addons.Addons;
import org.envoi.ui.addons.AddonsSettings;

/**
 * Installs the feature group named by {@code envoi.probe.install} into the running product, as the Add-ons
 * screen's Install does (its settings from the product's configuration, the running product's agent and profile),
 * and prints the list before and what p2 answered. Exit code 0 when the install succeeded.
 */
public final class InstallProbe implements IApplication {

    @Override
    public Object start(IApplicationContext context) throws Exception {
        // before anything here touches p2: which p2 bundles the product's start already activated (none should)
        org.osgi.framework.BundleContext bc = org.osgi.framework.FrameworkUtil.getBundle(InstallProbe.class)
                .getBundleContext();
        for (org.osgi.framework.Bundle b : bc.getBundles()) {
            String name = b.getSymbolicName();
            if (name.startsWith("org.eclipse.equinox.p2.") || name.startsWith("org.eclipse.ecf")
                    || name.startsWith("org.eclipse.equinox.frameworkadmin") || name.equals("org.envoi.ui.addons")) {
                System.out.println("probe before: " + name + " " + (b.getState() == org.osgi.framework.Bundle.ACTIVE
                        ? "ACTIVE" : b.getState() == org.osgi.framework.Bundle.STARTING ? "STARTING" : "RESOLVED"));
            }
        }
        AddonsSettings settings = AddonsSettings.current();
        System.out.println("probe sites: " + settings.sites() + " locked: " + settings.locked() + " problems: "
                + settings.problems());
        Addons addons = Addons.forRunningProduct(settings.sites());
        Addons.Catalog catalog = addons.load(new NullProgressMonitor());
        for (Addons.Addon a : catalog.addons()) {
            System.out.println("probe addon: " + a.id() + " installed=" + a.installed() + " available="
                    + a.available());
        }
        System.out.println("probe problems: " + catalog.problems());
        IStatus status = addons.install(List.of(System.getProperty("envoi.probe.install")),
                new NullProgressMonitor());
        System.out.println("probe install: " + status);
        return status.isOK() ? IApplication.EXIT_OK : Integer.valueOf(1);
    }

    @Override
    public void stop() {
        // runs to its end
    }
}
