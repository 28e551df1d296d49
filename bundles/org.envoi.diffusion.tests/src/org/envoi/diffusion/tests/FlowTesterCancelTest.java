package org.envoi.diffusion.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.envoi.api.Cancellation;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.tests.contract.OsgiServices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleContext;

/**
 * Issue 19.2: "Test the service" cancelled while its SMTP step waits on a server that accepted the connection and never
 * greets (a stuck relay): the step's socket is closed on the wire at once, not left to its time limit, and the report
 * says cancelled, not failed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FlowTesterCancelTest {

    @Test
    void cancelClosesTheSocketOfTheStepOnTheWireAndTheReportSaysCancelled() throws Exception {
        BundleContext ctx = OsgiServices.context(FlowTesterCancelTest.class);
        FlowAdmin admin = OsgiServices.get(ctx, FlowAdmin.class, null);
        OperatorRepository operators = OsgiServices.get(ctx, OperatorRepository.class, null);
        FlowTester tester = OsgiServices.get(ctx, FlowTester.class, null);
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            String id = "cancel-" + System.nanoTime();
            // a time limit far beyond the test's: only the cancel can end the step in time
            admin.save(new Flow(id, "Stuck relay", FlowType.BASIC, "custom", new ProviderFields("", "", "", List.of(),
                    ConsentHost.PRINT, false), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(
                            MailServer.of("127.0.0.1", silent.getLocalPort(), TlsMode.NONE).withTimeout(Duration
                                    .ofMinutes(5))), Optional.empty(), Optional.empty(), "compta", Optional.empty(),
                    0, Optional.empty()), Optional.of("the-password"));
            operators.save(new Operator("op-" + id, "Opérateur", "op@example.test", Optional.empty(), Optional.of(id),
                    "", ""));
            Cancellation cancel = new Cancellation();
            List<String> started = new CopyOnWriteArrayList<>();
            CompletableFuture<FlowTester.Report> running = CompletableFuture.supplyAsync(() -> tester.test(id, "op-"
                    + id, new FlowTester.Listener() {
                        @Override
                        public void started(String step) {
                            started.add(step);
                        }
                    }, cancel));
            try (Socket held = silent.accept()) { // the SMTP step is connected and waits for the greeting
                held.setSoTimeout(5_000);
                cancel.cancel();
                long t0 = System.nanoTime();
                int read;
                try {
                    read = held.getInputStream().read();
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the step's socket is still open 5 s after cancel");
                } catch (IOException e) {
                    read = -1; // reset by the client: closed as well
                }
                assertEquals(-1, read, "the client closed its end");
                long closedAfterMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(closedAfterMs < 2_000, "closed " + closedAfterMs + " ms after cancel");
            }
            FlowTester.Report r = running.get(5, TimeUnit.SECONDS);
            assertTrue(r.cancelled(), r.toString());
            assertFalse(r.ok(), r.toString());
            FlowTester.Step last = r.steps().get(r.steps().size() - 1);
            assertEquals("smtp", last.name(), r.toString());
            assertFalse(last.ok());
            assertTrue(last.sentence().startsWith("CANCELLED"), last.sentence());
            assertEquals(List.of("flow", "membership", "data", "password", "smtp"), started, "told step by step");
            operators.remove("op-" + id);
            admin.remove(id);
        }
    }
}
