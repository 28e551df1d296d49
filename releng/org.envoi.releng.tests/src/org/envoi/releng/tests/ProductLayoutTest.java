package org.envoi.releng.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The four desktop products are materialized with the right SWT and a way to start without a native launcher. */
class ProductLayoutTest {

    private static final Map<String, String> SWT = Map.of(
            "linux/gtk/x86_64/envoi", "org.eclipse.swt.gtk.linux.x86_64",
            "win32/win32/x86_64/envoi", "org.eclipse.swt.win32.win32.x86_64",
            "macosx/cocoa/aarch64/envoi.app/Contents/Eclipse", "org.eclipse.swt.cocoa.macosx.aarch64",
            "macosx/cocoa/x86_64/envoi.app/Contents/Eclipse", "org.eclipse.swt.cocoa.macosx.x86_64");

    @Test
    void everyPlatformHasItsSwtTheLauncherJarAndStartScripts() {
        SWT.forEach((folder, swt) -> {
            Path product = BuiltProduct.products().resolve(folder);
            assertTrue(Files.isDirectory(product), folder);
            assertTrue(BuiltProduct.hasBundle(product, swt), swt + " in " + folder);
            assertTrue(BuiltProduct.hasPluginJar(product, "org.eclipse.equinox.launcher"), "launcher jar in " + folder);
            assertTrue(BuiltProduct.hasBundle(product, "org.envoi.provider.microsoft"), folder);
            assertTrue(BuiltProduct.hasBundle(product, "org.envoi.provider.google"), folder);
            assertTrue(Files.exists(product.resolve("envoi.cmd")), "Windows start script in " + folder);
            assertTrue(Files.isRegularFile(product.resolve("envoi-launcher.jar")), "envoi.cmd's start program in "
                    + folder);
            assertTrue(Files.isExecutable(product.resolve("envoi")), "executable start script in " + folder);
        });
    }
}
