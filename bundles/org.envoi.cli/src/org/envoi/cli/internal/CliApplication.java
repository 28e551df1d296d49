package org.envoi.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
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
        // a server logs to its own file (envoi serve --status and the other commands go on writing cli.log)
        List<String> words = args == null ? List.of() : java.util.Arrays.asList(args);
        int command = words.size() >= 2 && words.get(0).equals("--data") ? 2 : 0; // as Cli.run reads them
        boolean server = words.size() > command && words.get(command).equals("serve") && !words.contains("--status");
        logToDataFolder(DataFolder.resolve(bundle::getProperty), server ? "serve.log" : "cli.log");
        ServiceTracker<Cli, Cli> tracker = new ServiceTracker<>(bundle, Cli.class, null);
        tracker.open();
        ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> scr = new ServiceTracker<>(bundle,
                ServiceComponentRuntime.class, null);
        scr.open();
        try {
            Cli cli = null;
            long start = System.nanoTime();
            long failureSeen = 0;
            while (cli == null && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(WAIT_MS)) {
                cli = tracker.waitForService(100);
                if (cli != null) {
                    break;
                }
                // a component that failed to start is not retried: say which and why at once, not after a minute
                Optional<String> failed = failedComponent(scr.getService());
                if (failed.isPresent()) {
                    if (failureSeen == 0) {
                        failureSeen = System.nanoTime();
                    } else if (System.nanoTime() - failureSeen > TimeUnit.SECONDS.toNanos(2)) {
                        System.err.println(failed.get());
                        return Integer.valueOf(exitCode(failed.get()));
                    }
                }
            }
            if (cli == null) {
                System.err.println("FAILURE: Envoi's services did not start within " + WAIT_MS / 1000 + " s (missing: "
                        + missing(bundle) + "); is the data folder readable and its database reachable? See the log"
                        + " in the data folder.");
                return Integer.valueOf(Cli.FAILURE);
            }
            PrintStream out = System.out;
            // read through StandardInput: a sign-in waiting for a pasted line then sees the end of input at once
            int code;
            try {
                code = cli.run(args == null ? new String[0] : args, out, System.err, new BufferedReader(
                        new StandardInput(System.in, Charset.defaultCharset())));
            } catch (OutOfMemoryError e) {
                // never exit 0 as if it had worked; the queue and the marks are as they were before the command
                System.err.println("FAILURE: the command ran out of memory (" + e.getMessage() + "); give it more"
                        + " with ENVOI_VMARGS=-Xmx1g (or more) and run it again.");
                code = Cli.FAILURE;
            } catch (Error e) {
                System.err.println("FAILURE: the command stopped on " + e + "; see the log in the data folder.");
                code = Cli.FAILURE;
            }
            out.flush();
            System.err.flush();
            return Integer.valueOf(code);
        } finally {
            scr.close();
            tracker.close();
        }
    }

    /**
     * The first of Envoi's components whose activation failed, as the one-line error to print: its stable code when
     * the failure was an {@code EnvoiException} ({@code VAULT_ERROR: …}), else {@code FAILURE: …}.
     */
    private static Optional<String> failedComponent(ServiceComponentRuntime runtime) {
        if (runtime == null) {
            return Optional.empty();
        }
        for (ComponentDescriptionDTO d : runtime.getComponentDescriptionDTOs()) {
            if (!d.bundle.symbolicName.startsWith("org.envoi.")) {
                continue;
            }
            for (ComponentConfigurationDTO c : runtime.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    return Optional.of(failureLine(d.name, c.failure));
                }
            }
        }
        return Optional.empty();
    }

    /** The exit code of a failure line: its code's (4 for a setting to correct, e.g. INVALID_INPUT), else 1. */
    static int exitCode(String failureLine) {
        int colon = failureLine.indexOf(':');
        try {
            return Cli.exitCode(org.envoi.api.ErrorCode.valueOf(colon < 0 ? "" : failureLine.substring(0, colon)));
        } catch (IllegalArgumentException e) {
            return Cli.FAILURE;
        }
    }

    static String failureLine(String component, String failure) {
        String text = failure == null ? "" : failure;
        // an EnvoiException prints as "CODE: sentence", wherever SCR's wrapping puts it in the trace
        java.util.regex.Matcher coded = java.util.regex.Pattern.compile("(?m)(?:^|[\\s:])([A-Z][A-Z_]{3,}): (.+)$")
                .matcher(text);
        while (coded.find()) {
            try {
                org.envoi.api.ErrorCode code = org.envoi.api.ErrorCode.valueOf(coded.group(1));
                return code + ": " + coded.group(2).strip() + " (" + component + " could not start)";
            } catch (IllegalArgumentException e) {
                // not one of ours
            }
        }
        String first = text.lines().findFirst().orElse("").strip();
        return "FAILURE: Envoi's component " + component + " could not start: " + (first.isEmpty() ? "see the log"
                + " in the data folder" : first);
    }

    /**
     * The command's log goes to {@code <data>/logs/cli.log}, so that standard error carries only progress and the
     * one-line errors (the script sends only severe records to the console).
     */
    private static void logToDataFolder(Path data, String name) {
        try {
            Path logs = Files.createDirectories(data.resolve("logs"));
            FileHandler file = new FileHandler(logs.resolve(name).toString(), 5_000_000, 1, true);
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
                ProviderRegistry.class, FlowTester.class, TokenService.class, Diffusion.class, MailFetcher.class,
                OutboxSenders.class)) {
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
