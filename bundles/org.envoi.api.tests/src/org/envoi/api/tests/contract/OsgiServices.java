package org.envoi.api.tests.contract;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/** Waits for real OSGi services in the running test framework. */
public final class OsgiServices {

    private OsgiServices() {
    }

    public static BundleContext context(Class<?> testClass) {
        BundleContext ctx = FrameworkUtil.getBundle(testClass).getBundleContext();
        if (ctx == null) {
            fail("the test bundle of " + testClass.getName() + " is not active");
        }
        return ctx;
    }

    /** The reference of the first service matching type and filter within ten seconds, or a failure listing bundles. */
    public static <T> ServiceReference<T> await(BundleContext ctx, Class<T> type, String ldapFilter) {
        try {
            String f = "(&(objectClass=" + type.getName() + ")" + (ldapFilter == null ? "" : ldapFilter) + ")";
            Filter filter = ctx.createFilter(f);
            ServiceTracker<T, T> tracker = new ServiceTracker<>(ctx, filter, null);
            tracker.open();
            try {
                if (tracker.waitForService(10_000) == null) {
                    fail("no service " + f + " within 10 s; bundles: " + Arrays.stream(ctx.getBundles())
                            .map(b -> b.getSymbolicName() + "=" + b.getState()).collect(Collectors.joining(", ")));
                }
                return tracker.getServiceReference();
            } finally {
                tracker.close();
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static <T> T get(BundleContext ctx, Class<T> type, String ldapFilter) {
        return ctx.getService(await(ctx, type, ldapFilter));
    }
}
