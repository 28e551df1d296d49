package org.envoi.mail.internal;

import java.io.IOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import org.eclipse.angus.activation.MailcapRegistryProviderImpl;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * The one place that deals with Jakarta Mail's class loading inside OSGi. Jakarta Mail and Activation find their
 * providers ({@code StreamProvider}, transports, mailcap) through {@link java.util.ServiceLoader} on the thread
 * context class loader; in a bundle that loader sees neither angus-mail nor angus-activation. Every call that builds,
 * writes, sends or reads a message runs inside {@link #call}.
 */
public final class MailClassLoader extends ClassLoader {

    private static final MailClassLoader INSTANCE = new MailClassLoader();

    private final List<ClassLoader> delegates = List.of(SMTPTransport.class.getClassLoader(),
            MailcapRegistryProviderImpl.class.getClassLoader(), MailClassLoader.class.getClassLoader());

    private MailClassLoader() {
        super(null);
    }

    @FunctionalInterface
    public interface MailCall<T, E extends Exception> {
        T run() throws E;
    }

    /** Runs {@code call} with the context class loader set to one that sees Angus Mail and Angus Activation. */
    public static <T, E extends Exception> T call(MailCall<T, E> call) throws E {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(INSTANCE);
        try {
            return call.run();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        for (ClassLoader l : delegates) {
            try {
                return l.loadClass(name);
            } catch (ClassNotFoundException e) {
                // next
            }
        }
        throw new ClassNotFoundException(name);
    }

    @Override
    protected URL findResource(String name) {
        for (ClassLoader l : delegates) {
            URL u = l.getResource(name);
            if (u != null) {
                return u;
            }
        }
        return null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
        List<URL> all = new ArrayList<>();
        for (ClassLoader l : delegates) {
            all.addAll(Collections.list(l.getResources(name)));
        }
        return Collections.enumeration(all);
    }
}
