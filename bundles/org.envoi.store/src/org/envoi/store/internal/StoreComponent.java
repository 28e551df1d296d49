package org.envoi.store.internal;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import javax.sql.DataSource;

import org.envoi.api.DataFolder;
import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.FetchMarks;
import org.envoi.api.mail.Outbox;
import org.envoi.api.mail.OutboxStore;
import org.envoi.store.json.FlowJson;
import org.h2.jdbcx.JdbcConnectionPool;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.postgresql.ds.PGConnectionPoolDataSource;

/**
 * The default store. Registers one service per repository (the outbox, the fetched-mail marks, flows, operators and
 * groups, settings) and opens and migrates the database beside the framework's start, on a thread of its own. The
 * database is an embedded H2 file in {@code <data>/db}, or a shared PostgreSQL when the framework property
 * {@code envoi.db.url} holds a {@code jdbc:postgresql:} URL (see {@link DatabaseSettings}: TLS unless on this
 * machine, the password from the {@code ENVOI_DB_PASSWORD} variable or an owner-only file). The services have
 * ranking 0: an ERP registers its own with a higher ranking to replace any of them.
 */
@Component(immediate = true, configurationPid = StoreComponent.PID)
@Designate(ocd = StoreComponent.Configuration.class)
public final class StoreComponent {

    /** The configuration's PID (metatype: {@code OSGI-INF/metatype/org.envoi.store.xml}). */
    public static final String PID = "org.envoi.store";

    @ObjectClassDefinition(id = PID, name = "Envoi store", description = "Envoi's database: an H2 file in the data"
            + " folder, or a shared PostgreSQL named by the framework property envoi.db.url.")
    public @interface Configuration {

        @AttributeDefinition(name = "H2 listener address", description = "The address the embedded H2 database's"
                + " AUTO_SERVER listener binds to, set as the JVM-wide system property h2.bindAddress when the JVM has"
                + " none. Empty: Envoi sets nothing, the application owns h2.bindAddress (H2 then listens on every"
                + " address unless it is set).")
        String h2_bindAddress() default "127.0.0.1";
    }

    public static final String DB_URL = DatabaseSettings.URL;
    public static final String DB_USER = DatabaseSettings.USER;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final OpeningDataSource pool;

    /**
     * Registers the repositories at once and opens the database on a thread of its own: the framework's start does not
     * wait for it (opening and migrating an H2 file, with its AUTO_SERVER listener, took about 200 ms of the desktop's
     * start here), only the first call that reads or writes does. A database that cannot be opened gives each call
     * the reason ({@link OpeningDataSource}).
     */
    @Activate
    public StoreComponent(BundleContext context, Configuration configuration) {
        String url = context.getProperty(DB_URL);
        boolean embedded = url == null || url.isBlank();
        if (embedded) {
            bindH2(configuration.h2_bindAddress());
        }
        Path h2File = h2File(context::getProperty);
        Map<String, String> environment = System.getenv();
        pool = new OpeningDataSource(() -> {
            DataSource opened = open(context::getProperty, environment);
            FlowJson.ready(); // the flows are read as JSON next, on the display's thread in the desktop
            return opened;
        }, "envoi-store-open");
        Clock clock = Clock.systemUTC();
        // one desk's H2: the mails' contents in files beside it; a shared PostgreSQL keeps them for every desk
        JdbcOutboxStore outbox = new JdbcOutboxStore(pool, clock, embedded ? outboxFolder(h2File) : null);
        register(context, new String[] { OutboxStore.class.getName(), Outbox.class.getName() }, outbox);
        register(context, new String[] { FetchMarks.class.getName() }, new JdbcFetchMarks(pool));
        register(context, new String[] { FlowRepository.class.getName() }, new JdbcFlowRepository(pool, clock));
        register(context, new String[] { OperatorRepository.class.getName() }, new JdbcOperatorRepository(pool));
        register(context, new String[] { SettingsRepository.class.getName() }, new JdbcSettingsRepository(pool));
        if (!embedded) {
            // shared by several desks: the vault keeps a generic flow's tokens here, under a row lock
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("envoi.db.shared", "true");
            registrations.add(context.registerService(DataSource.class, pool, props));
        }
    }

    /**
     * The database the framework properties choose, opened and migrated: what the component runs on.
     *
     * @param property the framework properties
     * @param environment the process's environment
     */
    public static DataSource open(UnaryOperator<String> property, Map<String, String> environment)
            throws SQLException {
        Optional<DatabaseSettings> shared = DatabaseSettings.from(property, environment); // before any connection
        DataSource ds = shared.isPresent() ? postgresql(shared.get()) : h2(h2File(property));
        try {
            Migrations.migrate(ds);
        } catch (SQLException e) {
            ((JdbcConnectionPool) ds).dispose();
            if (shared.isPresent()) {
                refusedLogin(shared.get(), e);
            }
            throw e;
        } catch (RuntimeException e) {
            ((JdbcConnectionPool) ds).dispose();
            throw e;
        }
        return ds;
    }

    /**
     * PostgreSQL refused the login: an error that names the setting to correct (never the password itself), instead
     * of a driver's exception that says nothing of Envoi's settings.
     *
     * @throws EnvoiException INVALID_INPUT when {@code e} is a refused login; returns otherwise
     */
    private static void refusedLogin(DatabaseSettings settings, SQLException e) {
        String state = null;
        for (Throwable t = e; t != null && state == null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && (s.getSQLState().startsWith("28") || (s
                    .getSQLState().equals("08004") && settings.password() == null))) {
                state = s.getSQLState(); // 28P01 wrong password, 28000 not allowed in; 08004 a password asked for
            }
        }
        if (state == null) {
            return;
        }
        String user = settings.user() == null ? "(none: " + DatabaseSettings.USER + " is not set)" : "'"
                + settings.user() + "'";
        String field = settings.passwordFrom() == null ? DatabaseSettings.PASSWORD_VARIABLE
                : settings.passwordFrom().startsWith(DatabaseSettings.PASSWORD_FILE) ? DatabaseSettings.PASSWORD_FILE
                        : DatabaseSettings.PASSWORD_VARIABLE;
        String sentence;
        if (settings.password() == null) {
            sentence = "The PostgreSQL database of " + DatabaseSettings.URL + " asks user " + user + " for a password"
                    + " and none was given: put it in the environment variable " + DatabaseSettings.PASSWORD_VARIABLE
                    + ", or in a file only you can read (chmod 600) named by " + DatabaseSettings.PASSWORD_FILE + ".";
        } else if (state.equals("28P01")) {
            sentence = "The PostgreSQL database of " + DatabaseSettings.URL + " refused the password of user " + user
                    + " given in " + settings.passwordFrom() + ": put the right password there, and check "
                    + DatabaseSettings.USER + ". Nothing was read or written.";
        } else {
            sentence = "The PostgreSQL database of " + DatabaseSettings.URL + " does not let user " + user + " in ("
                    + e.getMessage() + "): check " + DatabaseSettings.USER + " and the server's pg_hba.conf.";
            field = DatabaseSettings.USER;
        }
        throw new EnvoiException(ErrorCode.INVALID_INPUT, field, sentence, null);
    }

    private static Path h2File(UnaryOperator<String> property) {
        return DataFolder.resolve(property).resolve("db/envoi");
    }

    private void register(BundleContext context, String[] names, Object service) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_RANKING, 0);
        props.put("envoi.store", "jdbc");
        registrations.add(context.registerService(names, service, props));
    }

    @Deactivate
    void deactivate() {
        registrations.forEach(r -> {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        });
        registrations.clear();
        pool.dispose();
    }

    /**
     * An H2 file database behind a small connection pool (opening an H2 file per statement costs milliseconds);
     * AUTO_SERVER lets the CLI and the desktop open it together. WRITE_DELAY=0: every commit is in the file before the
     * call returns; H2's default keeps up to a second of commits in memory, and a killed process lost its queued mails
     * (ProcessKillTest). The file is not forced to the disk on each commit: a power cut may lose the last ones.
     * AUTO_SERVER's listener binds to the address of {@link #bindH2} (127.0.0.1 in the product). Every local user can
     * reach that listener: the database's folder is owner-only and the database has a random password kept beside it
     * ({@link PrivateH2}).
     */
    public static DataSource h2(Path file) {
        Path absolute = file.toAbsolutePath();
        PrivateH2.privateFolder(absolute.getParent());
        String password = PrivateH2.password(absolute);
        String url = "jdbc:h2:file:" + absolute + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, PrivateH2.USER, password);
        pool.setMaxConnections(8);
        try {
            PrivateH2.adopt(pool, url, password);
        } catch (RuntimeException e) {
            pool.dispose();
            throw e;
        }
        return pool;
    }

    /**
     * The one JVM-wide setting of the store: H2 reads {@code h2.bindAddress} once, before its first use, for every
     * database of the JVM. Set to {@code address} unless the application set it already; an empty address (the
     * configuration of a host that owns the setting) sets nothing.
     */
    static void bindH2(String address) {
        if (address != null && !address.isBlank() && System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", address.strip());
        }
    }

    /** Where the outbox of the H2 database {@code file} keeps its mails' contents: {@code <file>.outbox} beside it. */
    public static Path outboxFolder(Path file) {
        return file.resolveSibling(file.getFileName() + ".outbox");
    }

    /**
     * A shared PostgreSQL database (several desks) on a loopback address or over TLS, pooled the same way.
     *
     * @throws org.envoi.api.EnvoiException INVALID_INPUT for a database on another machine without TLS
     */
    public static DataSource postgresql(String url, String user, String password) {
        DatabaseSettings.checkTransport(url, false);
        return postgresql(new DatabaseSettings(url, user, password));
    }

    /** The database that {@link DatabaseSettings#from} checked. */
    static DataSource postgresql(DatabaseSettings settings) {
        PGConnectionPoolDataSource pg = new PGConnectionPoolDataSource();
        pg.setURL(settings.url());
        if (settings.user() != null) {
            pg.setUser(settings.user());
        }
        if (settings.password() != null && !settings.password().isEmpty()) {
            pg.setPassword(settings.password());
        }
        pg.setConnectTimeout(10);
        pg.setApplicationName("Envoi");
        JdbcConnectionPool pool = JdbcConnectionPool.create(pg);
        pool.setMaxConnections(8);
        return pool;
    }
}
