package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.FileHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import org.eclipse.equinox.app.IApplication;
import org.eclipse.equinox.app.IApplicationContext;
import org.envoi.api.DataFolder;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.diffusion.MailFetcher;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.Outbox;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The Equinox application {@code org.envoi.cli.app} that the product's {@code envoi} script starts for a command:
 * waits for the {@link Cli} component (and so for the store, the vault and the engine), runs the command on the
 * process's standard streams and returns its exit code, which the launcher makes the process's.
 */
public final class CliApplication implements IApplication {

    /** How long the services may take to come up (the database may be migrating). */
    private static final long WAIT_MS = 60_000;

    @Override
    public Object start(IApplicationContext context) throws Exception {
        String[] args = (String[]) context.getArguments().get(IApplicationContext.APPLICATION_ARGS);
        context.applicationRunning();
        BundleContext bundle = FrameworkUtil.getBundle(CliApplication.class).getBundleContext();
        logToDataFolder(DataFolder.resolve(bundle::getProperty));
        ServiceTracker<Cli, Cli> tracker = new ServiceTracker<>(bundle, Cli.class, null);
        tracker.open();
        try {
            Cli cli = tracker.waitForService(WAIT_MS);
            if (cli == null) {
                System.err.println("FAILURE: Envoi's services did not start (missing: " + missing(bundle) + "); is"
                        + " the data folder readable and its database reachable? See the log in the data folder.");
                return Integer.valueOf(Cli.FAILURE);
            }
            PrintStream out = System.out;
            // read through StandardInput: a sign-in waiting for a pasted line then sees the end of input at once
            int code = cli.run(args == null ? new String[0] : args, out, System.err, new BufferedReader(
                    new StandardInput(System.in, Charset.defaultCharset())));
            out.flush();
            System.err.flush();
            return Integer.valueOf(code);
        } finally {
            tracker.close();
        }
    }

    /**
     * The command's log goes to {@code <data>/logs/cli.log}, so that standard error carries only progress and the
     * one-line errors (the script sends only severe records to the console).
     */
    private static void logToDataFolder(Path data) {
        try {
            Path logs = Files.createDirectories(data.resolve("logs"));
            FileHandler file = new FileHandler(logs.resolve("cli.log").toString(), 5_000_000, 1, true);
            file.setFormatter(new SimpleFormatter());
            file.setLevel(Level.INFO);
            Logger.getLogger("").addHandler(file);
        } catch (IOException | RuntimeException e) {
            System.err.println("(no log file in " + data + "/logs: " + e.getMessage() + ")");
        }
    }

    /** The services the command line needs that are not registered: says which part failed to start. */
    private static String missing(BundleContext bundle) {
        List<String> missing = new ArrayList<>();
        for (Class<?> type : List.of(FlowRepository.class, OperatorRepository.class, Outbox.class, FlowAdmin.class,
                ProviderRegistry.class, FlowTester.class, TokenService.class, Diffusion.class, MailFetcher.class)) {
            if (bundle.getServiceReference(type.getName()) == null) {
                missing.add(type.getSimpleName());
            }
        }
        return missing.isEmpty() ? "the command line itself" : String.join(", ", missing);
    }

    @Override
    public void stop() {
        // a command ends by itself
    }
}
