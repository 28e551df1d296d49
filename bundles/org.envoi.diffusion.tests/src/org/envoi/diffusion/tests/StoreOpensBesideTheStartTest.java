package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.mail.OutboxStore;
import org.envoi.store.internal.StoreComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The store's component registers its repositories without waiting for its database: the framework's start, and the
 * desktop's window with it, went on only once the database was opened and migrated (about 200 ms of the desktop's
 * start here), and a database that did not answer held the whole start. A call that needs the database waits for it;
 * a database that cannot be opened gives every call its reason. The component runs on a context that keeps what it
 * registers (the running framework's store stays the only one its services see); the database that never answers is a
 * loopback listener that accepts and stays silent, as a stuck server does.
 */
class StoreOpensBesideTheStartTest {

    @TempDir
    Path temp;

    private final Map<String, Object> registered = new HashMap<>();

    @Test
    void theStoreRegistersItsRepositoriesWithoutWaitingForItsDatabase() throws Exception {
        try (ServerSocketChannel silent = ServerSocketChannel.open()) {
            silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<SocketChannel> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // and never a byte back
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }, "silent-database");
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> properties = properties("jdbc:postgresql://127.0.0.1:" + ((InetSocketAddress) silent
                    .getLocalAddress()).getPort() + "/envoi");

            CompletableFuture<StoreComponent> activation = CompletableFuture.supplyAsync(() -> activate(properties));
            StoreComponent store;
            try {
                store = activation.get(5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                silent.close(); // lets the blocked activation end
                throw new AssertionError("the component's activation still waits for a database that does not answer"
                        + " after 5 s", e);
            }
            try {
                assertTrue(registered.keySet().containsAll(List.of(FlowRepository.class.getName(), OutboxStore.class
                        .getName())), "the repositories are registered at once: " + registered.keySet());

                FlowRepository flows = (FlowRepository) registered.get(FlowRepository.class.getName());
                CompletableFuture<Object> read = CompletableFuture.supplyAsync(flows::flows);
                Thread.sleep(300);
                assertFalse(read.isDone(), "a read waits for the database being opened");

                silent.close();
                held.forEach(StoreOpensBesideTheStartTest::closeQuietly); // the server goes away mid-login
                EnvoiException failed = failure(read);
                assertEquals(ErrorCode.STORE_UNAVAILABLE, failed.code(), failed.toString());
                EnvoiException again = failure(CompletableFuture.supplyAsync(flows::flows));
                assertEquals(failed.getMessage(), again.getMessage(), "every later call gets the same reason");
            } finally {
                deactivate(store);
            }
        }
    }

    @Test
    void aDatabaseSettingToCorrectIsNamedToEveryCallThatNeedsTheDatabase() throws Exception {
        Map<String, String> properties = properties("jdbc:postgresql://127.0.0.1:1/envoi");
        properties.put("envoi.db.password", "s3cret-on-a-command-line"); // refused before any connection
        StoreComponent store = activate(properties);
        try {
            FlowRepository flows = (FlowRepository) registered.get(FlowRepository.class.getName());
            for (int i = 0; i < 2; i++) {
                EnvoiException e = failure(CompletableFuture.supplyAsync(flows::flows));
                assertEquals(ErrorCode.INVALID_INPUT, e.code(), e.toString());
                assertTrue(e.getMessage().contains("ENVOI_DB_PASSWORD"), e.getMessage());
                assertFalse(e.toString().contains("s3cret"), "never the password itself");
            }
        } finally {
            deactivate(store);
        }
    }

    private Map<String, String> properties(String url) {
        Map<String, String> p = new HashMap<>();
        p.put("envoi.data", temp.resolve("data").toString());
        p.put("envoi.db.url", url);
        p.put("envoi.db.user", "envoi");
        return p;
    }

    private StoreComponent activate(Map<String, String> properties) {
        try {
            return new StoreComponent(context(properties), configuration());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deactivate(StoreComponent store) throws Exception {
        var deactivate = StoreComponent.class.getDeclaredMethod("deactivate");
        deactivate.setAccessible(true);
        deactivate.invoke(store);
    }

    private static EnvoiException failure(CompletableFuture<?> call) throws Exception {
        try {
            call.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return assertInstanceOf(EnvoiException.class, e.getCause());
        }
        throw new AssertionError("the call succeeded on a database that cannot be opened");
    }

    /** A context with the given framework properties that keeps what is registered on it, by service name. */
    private BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {
                BundleContext.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> properties.get((String) args[0]);
                    case "registerService" -> {
                        if (args[0] instanceof String[] names) {
                            for (String name : names) {
                                registered.put(name, args[1]);
                            }
                        } else {
                            registered.put(args[0] instanceof Class<?> c ? c.getName() : (String) args[0], args[1]);
                        }
                        yield Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {
                                ServiceRegistration.class }, (p, m, a) -> null);
                    }
                    case "toString" -> "a context that keeps its registrations";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static StoreComponent.Configuration configuration() {
        return (StoreComponent.Configuration) Proxy.newProxyInstance(StoreComponent.class.getClassLoader(),
                new Class<?>[] { StoreComponent.Configuration.class }, (proxy, method, args) -> switch (method
                        .getName()) {
                    case "h2_bindAddress" -> "127.0.0.1";
                    case "annotationType" -> StoreComponent.Configuration.class;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
