package org.envoi.host.sample.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.security.Security;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.OutboxSenders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

/**
 * What Envoi changes in the whole JVM (the SASL security provider, H2's {@code h2.bindAddress}) and its background
 * sender are on by default, as the product has them, and each can be switched off by an embedding host through
 * Configuration Admin; the metatype service describes each configuration with today's values as defaults.
 */
class EmbeddingConfigurationTest {

    private static final String SASL = "org.envoi.mail.sasl";
    private static final String STORE = "org.envoi.store";
    private static final String SENDER = "org.envoi.outbox.sender";
    private static final String PROVIDER = "Envoi-SASL";
    private static final String SENDER_THREAD = "envoi-outbox";

    private final BundleContext ctx = FrameworkUtil.getBundle(EmbeddingConfigurationTest.class).getBundleContext();

    @AfterEach
    void backToDefaults() throws Exception {
        ConfigurationAdmin cm = service(ConfigurationAdmin.class);
        for (String pid : List.of(SASL, STORE, SENDER)) {
            Configuration[] c = cm.listConfigurations("(service.pid=" + pid + ")");
            if (c != null) {
                long before = serviceId(pid);
                c[0].delete();
                await(pid + " back to its defaults", () -> serviceId(pid) != before);
            }
        }
    }

    @Test
    void saslProviderIsInstalledByDefaultAndAHostCanSwitchItOff() throws Exception {
        await("the SASL provider installed by default", () -> Security.getProvider(PROVIDER) != null);

        long before = serviceId(SASL);
        configure(SASL, Map.of("install", Boolean.FALSE));
        await("the SASL component re-activated with install=false", () -> serviceId(SASL) != before);
        assertNull(Security.getProvider(PROVIDER), "no Envoi provider among the JVM's: " + Arrays.toString(Security
                .getProviders()));
    }

    @Test
    void h2BindAddressIsLoopbackByDefaultAndAHostCanLeaveItAlone() throws Exception {
        assertEquals("127.0.0.1", System.getProperty("h2.bindAddress"), "the product's default");

        System.clearProperty("h2.bindAddress"); // as in a host JVM where Envoi has not started yet
        try {
            long before = serviceId(STORE);
            configure(STORE, Map.of("h2.bindAddress", ""));
            await("the store re-opened with h2.bindAddress empty", () -> serviceId(STORE) != before);
            assertNull(System.getProperty("h2.bindAddress"), "Envoi set no JVM-wide property");

            long configured = serviceId(STORE);
            configure(STORE, Map.of("h2.bindAddress", "127.0.0.1"));
            await("the store re-opened with h2.bindAddress=127.0.0.1", () -> serviceId(STORE) != configured);
            assertEquals("127.0.0.1", System.getProperty("h2.bindAddress"));
        } finally {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    @Test
    void backgroundSenderRunsByDefaultAndAHostCanSwitchItOff() throws Exception {
        await("the background sender's thread running by default", () -> senderThreads() == 1);

        long before = serviceId(SENDER);
        configure(SENDER, Map.of("mode", "off"));
        await("the sender re-activated with mode=off", () -> serviceId(SENDER) != before);
        assertEquals(0, senderThreads(), "no sender thread in this process");
        service(OutboxSenders.class).wake(); // what a queued mail does: still nothing starts
        assertEquals(0, senderThreads(), "no sender thread after a wake-up");
    }

    @Test
    void metatypeDescribesEachConfigurationWithTheProductsValuesAsDefaults() throws Exception {
        MetaTypeService metatype = service(MetaTypeService.class);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(SASL + " install", "true");
        expected.put(STORE + " h2.bindAddress", "127.0.0.1");
        expected.put(SENDER + " mode", "background");
        Map<String, String> bundles = Map.of(SASL, "org.envoi.mail", STORE, "org.envoi.store", SENDER,
                "org.envoi.diffusion");
        Map<String, String> actual = new LinkedHashMap<>();
        for (Map.Entry<String, String> b : bundles.entrySet()) {
            Bundle bundle = Arrays.stream(ctx.getBundles()).filter(x -> x.getSymbolicName().equals(b.getValue()))
                    .findFirst().orElseThrow();
            MetaTypeInformation info = metatype.getMetaTypeInformation(bundle);
            assertTrue(Arrays.asList(info.getPids()).contains(b.getKey()), b.getValue() + " designates " + b.getKey()
                    + ": " + Arrays.toString(info.getPids()));
            ObjectClassDefinition ocd = info.getObjectClassDefinition(b.getKey(), null);
            for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
                assertFalse(ad.getDescription() == null || ad.getDescription().isBlank(), ad.getID());
                actual.put(b.getKey() + " " + ad.getID(), String.join(",", ad.getDefaultValue()));
            }
        }
        assertEquals(expected.toString(), sorted(actual).toString());
    }

    private static Map<String, String> sorted(Map<String, String> m) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String k : List.of(SASL + " install", STORE + " h2.bindAddress", SENDER + " mode")) {
            if (m.containsKey(k)) {
                s.put(k, m.get(k));
            }
        }
        m.keySet().stream().filter(k -> !s.containsKey(k)).forEach(k -> s.put(k, m.get(k)));
        return s;
    }

    private void configure(String pid, Map<String, Object> properties) throws Exception {
        Configuration c = service(ConfigurationAdmin.class).getConfiguration(pid, "?");
        Dictionary<String, Object> d = new Hashtable<>(properties);
        c.update(d);
    }

    /**
     * The service id of what the component of {@code pid} registers: a new id means SCR re-activated it with the
     * configuration; -1 while none is registered.
     */
    private long serviceId(String pid) {
        String type = switch (pid) {
            case SASL -> "org.envoi.mail.internal.SaslRegistration";
            case STORE -> OperatorRepository.class.getName();
            default -> OutboxSenders.class.getName();
        };
        try {
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(type, pid.equals(STORE) ? "(envoi.store=jdbc)"
                    : null);
            return refs == null ? -1 : (Long) refs[0].getProperty("service.id");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long senderThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(SENDER_THREAD) && t
                .isAlive()).count();
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> t = new ServiceTracker<>(ctx, type, null);
        t.open();
        T s = t.waitForService(30_000);
        assertNotNull(s, type.getName() + " is registered");
        return s;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // SCR re-activates within milliseconds
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        fail("not within 10 s: " + what);
    }
}
