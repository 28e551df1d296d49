package org.envoi.core.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.tests.contract.OsgiServices;
import org.envoi.core.tests.dropin.ExampleProvider;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The design's promise: a new provider is a bundle and nothing else. This test builds a provider bundle that Envoi
 * has never seen, installs it into the running framework, sees the registry offer it, uninstalls it and sees it
 * gone, with the core bundle untouched (same registry object, never restarted).
 */
class DropInProviderTest {

    private static final String DROPIN_BSN = "org.envoi.provider.example";
    private static final String CLASS_PATH = ExampleProvider.class.getName().replace('.', '/') + ".class";

    @Test
    void aProviderBundleDropsInAndOutWithoutRestart() throws Exception {
        BundleContext ctx = OsgiServices.context(getClass());
        ServiceReference<ProviderRegistry> ref = OsgiServices.await(ctx, ProviderRegistry.class, null);
        ProviderRegistry registry = ctx.getService(ref);
        Bundle core = ref.getBundle();
        long coreModified = core.getLastModified();
        assertTrue(registry.find("example").isEmpty(), "not installed yet");

        CountDownLatch added = new CountDownLatch(1);
        CountDownLatch removed = new CountDownLatch(1);
        try (AutoCloseable l = registry.onChange(() -> {
            if (registry.find("example").isPresent()) {
                added.countDown();
            } else {
                removed.countDown();
            }
        })) {
            Bundle dropin = ctx.installBundle("envoi-test:" + DROPIN_BSN, new ByteArrayInputStream(buildBundle()));
            dropin.start();
            assertTrue(added.await(10, TimeUnit.SECONDS), "the registry did not offer the drop-in provider");

            MailProvider example = registry.require("example");
            assertEquals("Example Mail (drop-in)", example.displayName());
            assertEquals(dropin, OsgiServices.await(ctx, MailProvider.class, "(provider.id=example)").getBundle(),
                    "served by the installed bundle, not by the test's own copy of the class");
            assertFalse(example.getClass().getClassLoader() == ExampleProvider.class.getClassLoader());
            assertEquals(3, registry.providers().size());

            dropin.uninstall();
            assertTrue(removed.await(10, TimeUnit.SECONDS), "the registry still offers the uninstalled provider");
        }
        assertTrue(registry.find("example").isEmpty());
        assertEquals(2, registry.providers().size());
        assertSame(registry, ctx.getService(ref), "same registry component: the core was not restarted");
        assertEquals(Bundle.ACTIVE, core.getState());
        assertEquals(coreModified, core.getLastModified(), "the core bundle was neither updated nor reinstalled");
    }

    /** A complete provider bundle: manifest, DS component descriptor and the one provider class. */
    private static byte[] buildBundle() throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", DROPIN_BSN);
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Bundle-Name", "Example Mail provider (built by DropInProviderTest)");
        a.putValue("Import-Package", "org.envoi.api.provider;version=\"[0.1.0,1.0.0)\"");
        a.putValue("Service-Component", "OSGI-INF/example.xml");
        String component = """
                <?xml version="1.0" encoding="UTF-8"?>
                <scr:component xmlns:scr="http://www.osgi.org/xmlns/scr/v1.3.0" name="example.provider">
                  <implementation class="%s"/>
                  <service><provide interface="org.envoi.api.provider.MailProvider"/></service>
                  <property name="provider.id" value="example"/>
                </scr:component>
                """.formatted(ExampleProvider.class.getName());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            jar.putNextEntry(new JarEntry("OSGI-INF/example.xml"));
            jar.write(component.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            jar.putNextEntry(new JarEntry(CLASS_PATH));
            try (InputStream in = ExampleProvider.class.getClassLoader().getResourceAsStream(CLASS_PATH)) {
                assertNotNull(in, CLASS_PATH);
                in.transferTo(jar);
            }
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }
}
