package org.envoi.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * Starts the Envoi sandbox: real servers on 127.0.0.1 for newcomers who have no Microsoft 365 or Google account yet,
 * so that they can try the whole of Envoi (OAuth2 sign-in with authorization code and PKCE, refresh, sending over
 * SMTP, reading over IMAP and POP3 with XOAUTH2) on their own machine:
 * <ul>
 * <li>an OAuth2 server (mock-oauth2-server, issuer {@code sandbox}) that signs the user {@code demo@envoi.local} in
 * without a form;</li>
 * <li>SMTP, IMAP and POP3 servers (GreenMail) that let that user in only with a valid access token of that OAuth2
 * server.</li>
 * </ul>
 * Envoi starts this class as a child process ({@code java -cp 'lib/*' org.envoi.sandbox.SandboxMain}), reads the one
 * line {@code ENVOI-SANDBOX-READY {json}} on its standard output, and stops it by closing its standard input; a person
 * running it in a terminal stops it with Ctrl-D or Ctrl-C. Standard output carries nothing but that line (everything
 * written to {@code System.out} by libraries is sent to standard error), so the parent can read it without filtering.
 * <p>
 * Exit status: 0 after a normal stop or {@code --help}, 1 when a server could not start, 2 on a bad command line.
 */
public final class SandboxMain {

    private SandboxMain() {
    }

    /**
     * Runs the sandbox until the end of standard input or a termination signal.
     *
     * @param args see {@code --help}
     */
    public static void main(String[] args) {
        PrintStream stdout = System.out;
        System.setOut(System.err); // keep standard output for the ready line alone
        int status = run(args, System.in, stdout, System.err);
        System.exit(status); // the HTTP and mail servers leave non-daemon threads behind
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        SandboxOptions options;
        try {
            options = SandboxOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("envoi-sandbox: " + e.getMessage());
            err.print(SandboxOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(SandboxOptions.USAGE);
            out.flush();
            return 0;
        }
        QuietLogging.install();
        Sandbox sandbox;
        try {
            sandbox = Sandbox.start(options);
        } catch (Exception e) {
            err.println("envoi-sandbox: the servers could not start: " + e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sandbox::close, "envoi-sandbox-stop"));
        out.println(sandbox.readyLine());
        out.flush();
        err.println("envoi-sandbox: ready; stops at the end of standard input, on Ctrl-C or SIGTERM");
        awaitEndOfInput(in);
        err.println("envoi-sandbox: end of standard input, stopping");
        sandbox.close();
        return 0;
    }

    private static void awaitEndOfInput(InputStream in) {
        byte[] ignored = new byte[256];
        try {
            while (in.read(ignored) >= 0) {
                // input is not a command channel: only its end matters
            }
        } catch (IOException e) {
            // a broken standard input ends the sandbox like its end
        }
    }
}
