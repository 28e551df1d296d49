package org.envoi.ui.parts;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.custom.ScrolledComposite;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableItem;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.EnvoiException;
import org.envoi.api.diffusion.FlowTester;
import org.envoi.api.diffusion.Sandbox;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;

import jakarta.annotation.PostConstruct;

/**
 * The administrator's flows: a list and an editor. The presets are the installed providers (plus "custom"): one fills
 * endpoints, servers and scopes so that only the client ID, secret and, where its endpoints need one, the tenant are
 * left to type. The transport and the file stores are the installed services too, each drawing its own fields from
 * its {@link FieldDescription}s into the flow's settings; a provider, transport or store bundle started or stopped
 * while the part is open appears or disappears at once. Each field shows its problem as the administrator types; the
 * client secret is write-only (the field is never filled back, a label says "set" or "not set"). "Test the service"
 * runs the flow tester in the background, step by step. Widgets carry {@value ProvidersPart#KEY} data keys for the UI
 * tests.
 */
public class FlowsPart {

    static final String KEY = ProvidersPart.KEY;
    private static final System.Logger LOG = System.getLogger(FlowsPart.class.getName());

    private Messages m;
    private FlowAdmin admin;
    private FlowRepository flows;
    private ProviderRegistry providers;
    private TransportRegistry transports;
    private FlowTester tester;

    private Table list;
    private final Map<String, Control> fields = new LinkedHashMap<>();
    private final Map<String, Label> problems = new HashMap<>();
    /**
     * The fields (by problem name) the administrator has changed: only their problems show, so that a blank form is
     * not red before anything is typed; Save, or a stored flow shown, shows them all.
     */
    private final java.util.Set<String> touched = new java.util.HashSet<>();
    private boolean showAll;
    /** The stored flow the form shows (null for a new one). */
    private Flow shown;
    /** Above zero while the part itself fills fields (a preset, a flow shown): such changes touch nothing. */
    private int filling;
    private Label secretState;
    private Label status;
    private Table results;
    private Text testOperator;
    private Button testButton;
    private Button cancelButton;
    /** The custom flow's provider id: endpoints typed by hand, no preset. */
    private static final String CUSTOM = "custom";

    private String providerId = CUSTOM;
    private List<String> scopes = List.of();
    /** The test under way, if any: Cancel cancels it (its step's connection is closed). */
    private PartJob<FlowTester.Report> testJob;
    private org.eclipse.swt.widgets.ProgressBar testProgress;
    /** The workbench's UI executor when the part is injected; the display's when a test builds it. */
    @jakarta.inject.Inject
    @org.eclipse.e4.core.di.annotations.Optional
    private org.eclipse.e4.ui.di.UISynchronize sync;

    /** The ids behind the items of the preset, transport and file-store combos, in item order. */
    private final List<String> presetIds = new ArrayList<>();
    private final List<String> transportIds = new ArrayList<>();
    private final List<String> largeIds = new ArrayList<>();
    private final List<String> copiesIds = new ArrayList<>();
    private String transportId = MailTransport.SMTP;
    private String largeId = "";
    private String copiesId = "";
    private Composite form;
    private ScrolledComposite scroll;
    private org.eclipse.swt.widgets.Display display;
    /** The SMTP server's rows: shown only for the SMTP transport. */
    private final List<Control> smtpRows = new ArrayList<>();
    /** Where the transport's fields go (before it) and the stores' fields (before it). */
    private Control transportFieldsEnd;
    /** Where the provider's own fields are drawn: above the transport row. */
    private Control providerFieldsEnd;
    private Control storeFieldsEnd;
    /** The controls drawn from the services' descriptions, rebuilt when the choice or the services change. */
    private final List<Control> drawn = new ArrayList<>();
    private final Map<String, Control> settingFields = new LinkedHashMap<>();
    private final Map<String, FieldDescription> described = new LinkedHashMap<>();
    /** Setting values as last typed or loaded, so that redrawing the fields (or a service leaving) loses nothing. */
    private final Map<String, String> draft = new HashMap<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    @PostConstruct
    public void create(Composite parent, @Service FlowAdmin admin, @Service FlowRepository flows,
            @Service ProviderRegistry providers,
            @org.eclipse.e4.core.di.annotations.Optional @Service TransportRegistry transports,
            @org.eclipse.e4.core.di.annotations.Optional @Service FlowTester tester,
            @org.eclipse.e4.core.di.annotations.Optional @Service Sandbox sandbox) {
        create(parent, Messages.platform(), admin, flows, providers, transports, tester, sandbox);
    }

    public void create(Composite parent, Messages messages, FlowAdmin admin, FlowRepository flows,
            ProviderRegistry providers, FlowTester tester) {
        create(parent, messages, admin, flows, providers, null, tester, null);
    }

    public void create(Composite parent, Messages messages, FlowAdmin admin, FlowRepository flows,
            ProviderRegistry providers, FlowTester tester, Sandbox sandbox) {
        create(parent, messages, admin, flows, providers, null, tester, sandbox);
    }

    /** @param transports may be null: then the flow sends over SMTP and no file store is offered */
    public void create(Composite parent, Messages messages, FlowAdmin admin, FlowRepository flows,
            ProviderRegistry providers, TransportRegistry transports, FlowTester tester, Sandbox sandbox) {
        this.m = messages;
        this.admin = admin;
        this.flows = flows;
        this.providers = providers;
        this.transports = transports;
        this.tester = tester;
        this.display = parent.getDisplay();
        parent.setLayout(new GridLayout(2, false));
        Composite left = new Composite(parent, SWT.NONE);
        left.setLayout(new GridLayout(1, false));
        left.setLayoutData(new GridData(SWT.FILL, SWT.FILL, false, true));
        Label title = new Label(left, SWT.NONE);
        title.setText(m.get("flows.title"));
        list = new Table(left, SWT.BORDER | SWT.SINGLE | SWT.FULL_SELECTION);
        list.setData(KEY, "flows.list");
        GridData ld = new GridData(SWT.FILL, SWT.FILL, true, true);
        ld.widthHint = 200;
        list.setLayoutData(ld);
        list.addListener(SWT.Selection, e -> {
            if (list.getSelectionIndex() >= 0) {
                flows.flow((String) list.getItem(list.getSelectionIndex()).getData()).ifPresent(this::show);
            }
        });
        Button add = button(left, "flows.new", "flows.new");
        add.addListener(SWT.Selection, e -> {
            list.deselectAll();
            clear();
        });
        Button trySandbox = button(left, "flows.sandbox", "flows.sandbox");
        trySandbox.setEnabled(sandbox != null);
        trySandbox.setToolTipText(sandbox == null ? m.get("flows.sandbox.missing") : null);
        trySandbox.addListener(SWT.Selection, e -> startSandbox(sandbox, trySandbox));

        // the form scrolls (a transport and its stores add rows); the buttons and the test's steps stay in view
        Composite right = new Composite(parent, SWT.NONE);
        GridLayout rl = new GridLayout(1, false);
        rl.marginWidth = 0;
        rl.marginHeight = 0;
        right.setLayout(rl);
        right.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        scroll = new ScrolledComposite(right, SWT.V_SCROLL | SWT.H_SCROLL);
        scroll.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        scroll.setExpandHorizontal(true);
        scroll.setExpandVertical(true);
        form = new Composite(scroll, SWT.NONE);
        form.setLayout(new GridLayout(3, false));
        scroll.setContent(form);
        Combo preset = combo(form, "flows.preset", "flow.preset");
        preset.addListener(SWT.Selection, e -> {
            if (preset.getSelectionIndex() >= 0) {
                applyPreset(presetIds.get(preset.getSelectionIndex()));
            }
        });
        text(form, "flows.id", "flow.id", SWT.NONE).setData("envoi.log.text", Boolean.TRUE); // WindowShownLog
        text(form, "flows.name", "flow.name", SWT.NONE);
        text(form, "flows.clientId", "flow.clientId", SWT.NONE);
        text(form, "flows.tenant", "flow.tenant", SWT.NONE);
        text(form, "flows.secret", "flow.secret", SWT.PASSWORD);
        new Label(form, SWT.NONE);
        secretState = new Label(form, SWT.NONE);
        secretState.setData(KEY, "flow.secret.state");
        secretState.setText(m.get("flows.secret.unset"));
        secretState.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        text(form, "flows.redirect", "flow.redirectUri", SWT.NONE);
        combo(form, "flows.consent", "flow.consent", "loopback", "embedded", "print", "device");
        Combo transport = combo(form, "flows.transport", "flow.transport");
        providerFieldsEnd = form.getChildren()[form.getChildren().length - 3]; // the transport row's label
        transport.addListener(SWT.Selection, e -> {
            if (transport.getSelectionIndex() >= 0) {
                transportId = transportIds.get(transport.getSelectionIndex());
                transportScopes();
                redraw();
                showDrawn(transportFieldsEnd);
            }
        });
        int before = form.getChildren().length;
        text(form, "flows.smtp", "flow.smtp.host", SWT.NONE);
        text(form, "flows.port", "flow.smtp.port", SWT.NONE);
        combo(form, "flows.security", "flow.smtp.security", "starttls", "tls", "none");
        Control[] all = form.getChildren();
        smtpRows.addAll(List.of(all).subList(before, all.length));
        text(form, "flows.imap", "flow.imap.host", SWT.NONE);
        transportFieldsEnd = form.getChildren()[form.getChildren().length - 3]; // the IMAP row's label
        text(form, "flows.port", "flow.imap.port", SWT.NONE);
        combo(form, "flows.security", "flow.imap.security", "tls", "starttls", "none");
        text(form, "flows.timeout", "flow.timeout", SWT.NONE);
        text(form, "flows.generic", "flow.genericAddress", SWT.NONE);
        text(form, "flows.limit", "flow.limit", SWT.NONE);
        Combo large = combo(form, "flows.files.large", "flow.files.large");
        large.addListener(SWT.Selection, e -> {
            if (large.getSelectionIndex() >= 0) {
                largeId = largeIds.get(large.getSelectionIndex());
                redraw();
                showDrawn(storeFieldsEnd);
            }
        });
        Combo copies = combo(form, "flows.files.copies", "flow.files.copies");
        copies.addListener(SWT.Selection, e -> {
            if (copies.getSelectionIndex() >= 0) {
                copiesId = copiesIds.get(copies.getSelectionIndex());
                redraw();
                showDrawn(storeFieldsEnd);
            }
        });
        text(form, "flows.expiry", "flow.expiry", SWT.NONE);
        storeFieldsEnd = form.getChildren()[form.getChildren().length - 3]; // the expiry row's label

        Composite buttons = new Composite(right, SWT.NONE);
        buttons.setLayout(new GridLayout(5, false));
        buttons.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        button(buttons, "flows.save", "flow.save").addListener(SWT.Selection, e -> save());
        new Label(buttons, SWT.NONE).setText(m.get("flows.operator"));
        testOperator = new Text(buttons, SWT.BORDER);
        testOperator.setData(KEY, "flow.test.operator");
        testOperator.setLayoutData(new GridData(120, SWT.DEFAULT));
        testButton = button(buttons, "flows.test", "flow.test");
        testButton.addListener(SWT.Selection, e -> runTest());
        testButton.setEnabled(tester != null);
        cancelButton = button(buttons, "flows.cancel", "flow.test.cancel");
        cancelButton.setEnabled(false);
        cancelButton.addListener(SWT.Selection, e -> {
            if (testJob != null) {
                testJob.cancel();
            }
        });
        testProgress = new org.eclipse.swt.widgets.ProgressBar(right, SWT.HORIZONTAL | SWT.SMOOTH);
        testProgress.setData(KEY, "flow.test.progress");
        testProgress.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        PartJob.show(testProgress, false);
        status = new Label(right, SWT.WRAP);
        status.setData(KEY, "flow.status");
        GridData sd = new GridData(SWT.FILL, SWT.CENTER, true, false);
        sd.widthHint = 600;
        status.setLayoutData(sd);
        results = new Table(right, SWT.BORDER | SWT.FULL_SELECTION);
        results.setData(KEY, "flow.test.results");
        results.setLinesVisible(true);
        GridData rd = new GridData(SWT.FILL, SWT.FILL, true, false);
        rd.heightHint = 110; // the form above keeps the room; the steps scroll
        results.setLayoutData(rd);
        for (String c : new String[] { "step", "outcome", "ms", "sentence" }) {
            new org.eclipse.swt.widgets.TableColumn(results, SWT.NONE).setText(c);
        }
        fields.forEach((key, c) -> {
            String name = key.substring("flow.".length());
            if (c instanceof Text t) {
                t.addListener(SWT.Modify, e -> edited(name));
            } else if (c instanceof Combo k) {
                k.addListener(SWT.Selection, e -> edited(name));
            }
        });
        scroll.addListener(SWT.Resize, e -> {
            relayout();
            // once more after GTK has shown or hidden the scroll bar, which changes the width the form has
            display.asyncExec(this::relayout);
        });
        refreshList();
        // the first flow, when there is one, is the one selected and shown (not a blank form beside a selected row),
        // as a click on it shows it; else a blank new flow (filled once: a blank form filled first doubled the cost)
        Optional<Flow> first = list.getItemCount() == 0 ? Optional.empty() : flows.flow((String) list.getItem(0)
                .getData());
        if (first.isPresent()) {
            list.select(0);
            show(first.get());
        } else {
            clear();
        }
        // the services come and go at run time (a bundle installed from the update site): follow them
        subscriptions.add(providers.onChange(this::servicesChanged));
        if (transports != null) {
            subscriptions.add(transports.onChange(this::servicesChanged));
        }
        list.addListener(SWT.Dispose, e -> subscriptions.forEach(FlowsPart::closeQuietly));
        // the form has the focus: a focused list would select (and show) its first flow by itself on GTK
        fields.get("flow.id").setFocus();
        LOG.log(System.Logger.Level.INFO, "Envoi window shows providers: " + providers.providers().stream()
                .map(MailProvider::id).collect(java.util.stream.Collectors.joining(", ")) + " (flows: "
                + list.getItemCount() + ")");
    }

    private Button button(Composite parent, String label, String key) {
        Button b = new Button(parent, SWT.PUSH);
        b.setText(m.get(label));
        b.setData(KEY, key);
        return b;
    }

    private Text text(Composite form, String label, String key, int style) {
        new Label(form, SWT.NONE).setText(m.get(label));
        Text t = new Text(form, SWT.BORDER | style);
        t.setData(KEY, key);
        t.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        fields.put(key, t);
        problem(form, key);
        return t;
    }

    private Combo combo(Composite form, String label, String key, String... items) {
        new Label(form, SWT.NONE).setText(m.get(label));
        Combo c = new Combo(form, SWT.READ_ONLY);
        c.setItems(items);
        c.select(0);
        // as wide as the fields, and able to give up width as they do: a long preset name must not push the
        // problems column past the window's edge
        c.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        c.setData(KEY, key);
        fields.put(key, c);
        problem(form, key);
        return c;
    }

    private void problem(Composite form, String key) {
        problemLabel(key.substring("flow.".length()));
    }

    /**
     * The red label beside a field, found by the field name a {@link FieldProblem} gives; its sentence wraps at its
     * width (no tooltip: a tooltip kept an earlier problem over a field that had none any more).
     */
    private static final int PROBLEM_WIDTH = 240;

    private Label problemLabel(String field) {
        Label p = new Label(form, SWT.WRAP);
        p.setData(KEY, "problem." + field);
        p.setForeground(form.getDisplay().getSystemColor(SWT.COLOR_RED));
        GridData gd = new GridData(SWT.FILL, SWT.CENTER, false, false);
        gd.widthHint = 0; // PROBLEM_WIDTH once it says something: an empty one leaves the fields the room
        p.setLayoutData(gd);
        problems.put(field, p);
        return p;
    }

    private String value(String key) {
        Control c = fields.get(key);
        return c instanceof Text t ? t.getText().strip() : ((Combo) c).getText();
    }

    private void set(String key, String v) {
        Control c = fields.get(key);
        if (c instanceof Text t) {
            t.setText(v == null ? "" : v);
        } else {
            Combo k = (Combo) c;
            int i = k.indexOf(v);
            k.select(Math.max(i, 0));
        }
    }

    /**
     * A provider's flow asks the provider's mail scopes as its transport wants them: Graph's for a Microsoft flow that
     * sends through Microsoft Graph (one resource per token), the preset's for SMTP.
     */
    private void transportScopes() {
        providers.find(providerId).ifPresent(p -> {
            List<String> mail = p.preset().flowScopes();
            scopes = chosenTransport().map(t -> t.scopes(providerId, mail, false)).orElse(mail);
        });
    }

    private void applyPreset(String id) {
        filling++;
        try {
            preset(id);
        } finally {
            filling--;
        }
        validateNow();
    }

    private void preset(String id) {
        providerId = id;
        java.util.Optional<MailProvider> p = providers.find(providerId);
        tenantFor(p);
        if (p.isPresent()) {
            ProviderPreset preset = p.get().preset();
            transportScopes();
            endpoint("smtp", preset.smtp());
            endpoint("imap", preset.imap());
            set("flow.consent", preset.consentHost().name().toLowerCase());
            set("flow.timeout", "60");
            // the name follows the preset until the administrator types one of his own
            if (value("flow.name").isEmpty() || providers.providers().stream().anyMatch(o -> o.displayName().equals(
                    value("flow.name")))) {
                set("flow.name", p.get().displayName());
            }
        }
        redraw(); // the provider's own fields
    }

    private void endpoint(String which, ServerEndpoint e) {
        set("flow." + which + ".host", e.host());
        set("flow." + which + ".port", Integer.toString(e.port()));
        set("flow." + which + ".security", e.tls().name().toLowerCase());
    }

    /**
     * The tenant is asked for when the provider's endpoints name one ({@code {tenant}}), and for a custom flow;
     * otherwise it is emptied and locked (a provider without tenants refuses one).
     */
    private void tenantFor(Optional<MailProvider> p) {
        boolean needed = p.map(MailProvider::preset).map(pr -> pr.authorization().needsTenant()
                || pr.token().needsTenant() || pr.device().map(d -> d.needsTenant()).orElse(false)).orElse(true);
        Text tenant = (Text) fields.get("flow.tenant");
        if (!needed && !tenant.getText().isEmpty()) {
            tenant.setText("");
        }
        tenant.setEnabled(needed);
    }

    /** A blank new flow: nothing touched, no problem shown until a field is changed or Save pressed. */
    private void clear() {
        touched.clear();
        showAll = false;
        filling++;
        try {
            blank();
        } finally {
            filling--;
        }
        validateNow();
    }

    private void blank() {
        shown = null;
        fields.values().forEach(c -> {
            if (c instanceof Text t) {
                t.setText("");
            }
        });
        set("flow.limit", "25");
        transportId = MailTransport.SMTP;
        largeId = "";
        copiesId = "";
        forgetDrawn();
        draft.clear();
        offerServices();
        // a new flow starts from the first installed provider's preset (custom when none is installed)
        preset(presetIds.get(0));
        offerServices();
        secretState.setText(m.get("flows.secret.unset"));
    }

    /** A stored flow: its problems, if it has any, are shown at once. */
    private void show(Flow f) {
        touched.clear();
        showAll = true;
        filling++;
        try {
            fill(f);
        } finally {
            filling--;
        }
        validateNow();
    }

    private void fill(Flow f) {
        shown = f;
        providerId = f.providerId();
        scopes = f.oauth().scopes();
        transportId = f.transport();
        largeId = f.settings().getOrDefault(FileStore.LARGE_FILES, "");
        copiesId = f.settings().getOrDefault(FileStore.KEEP_COPIES, "");
        forgetDrawn();
        draft.clear();
        draft.putAll(f.settings());
        for (Control c : smtpRows) {
            if (c instanceof Text t) {
                t.setText(""); // a flow without an SMTP server shows none
            }
        }
        offerServices();
        tenantFor(providers.find(providerId));
        set("flow.id", f.id());
        set("flow.name", f.name());
        set("flow.clientId", f.oauth().clientId());
        set("flow.tenant", f.oauth().tenant());
        if (!f.oauth().tenant().isEmpty()) {
            fields.get("flow.tenant").setEnabled(true); // stored with one: let the administrator empty it
        }
        set("flow.secret", ""); // write-only: never shown back
        secretState.setText(m.get(admin.hasSecret(f) ? "flows.secret.set" : "flows.secret.unset"));
        set("flow.redirectUri", f.oauth().redirectUri());
        set("flow.consent", f.oauth().consentHost().name().toLowerCase());
        f.smtp().ifPresent(s -> endpoint("smtp", s.endpoint()));
        f.imap().ifPresent(s -> endpoint("imap", s.endpoint()));
        set("flow.timeout", Long.toString(f.smtp().or(f::imap).map(s -> s.timeout().toSeconds()).orElse(60L)));
        set("flow.genericAddress", f.genericAddress().orElse(""));
        set("flow.limit", Long.toString(f.attachmentLimitBytes() / (1024 * 1024)));
        set("flow.expiry", f.secretExpiry().map(LocalDate::toString).orElse(""));
    }

    /**
     * Fills the preset, transport and file-store choices from the services installed now, keeping the current
     * choice (offered as "not installed" when its bundle is gone, so that saving loses nothing), then draws the chosen
     * services' fields.
     */
    private void offerServices() {
        Map<String, String> presets = new LinkedHashMap<>();
        providers.providers().forEach(p -> presets.put(p.id(), p.displayName()));
        presets.put(CUSTOM, m.get("flows.preset.custom"));
        fill("flow.preset", presetIds, presets, providerId);

        Map<String, String> sends = new LinkedHashMap<>();
        List<MailTransport> installed = transports == null ? List.of() : transports.transports();
        if (installed.stream().noneMatch(t -> t.id().equals(MailTransport.SMTP))) {
            // the flow's own SMTP server is what sends until (and unless) a transport service says otherwise
            sends.put(MailTransport.SMTP, m.get("flows.transport.smtp"));
        }
        installed.forEach(t -> sends.put(t.id(), t.displayName()));
        fill("flow.transport", transportIds, sends, transportId);

        Map<String, String> stores = new LinkedHashMap<>();
        stores.put("", m.get("flows.files.none"));
        if (transports != null) {
            transports.fileStores().forEach(st -> stores.put(st.id(), st.displayName()));
        }
        fill("flow.files.large", largeIds, stores, largeId);
        fill("flow.files.copies", copiesIds, stores, copiesId);
        redraw();
    }

    private void fill(String key, List<String> ids, Map<String, String> offered, String selected) {
        Map<String, String> items = new LinkedHashMap<>(offered);
        if (!items.containsKey(selected)) {
            items.put(selected, m.get("flows.notInstalled", selected));
        }
        Combo c = (Combo) fields.get(key);
        ids.clear();
        ids.addAll(items.keySet());
        c.setItems(items.values().toArray(String[]::new));
        c.select(ids.indexOf(selected));
    }

    /** A service came or went (on whichever thread did it): offer what is installed now. */
    private void servicesChanged() {
        if (display.isDisposed()) {
            return;
        }
        display.asyncExec(() -> {
            if (!list.isDisposed()) {
                offerServices();
                validateNow();
            }
        });
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a registry listener", e);
        }
    }

    /**
     * Shows the SMTP server for the SMTP transport only, and draws the fields the chosen provider, transport and file
     * stores describe, each with its label, its help as tooltip and hint, its value (or the default) and a problem
     * label.
     */
    private void redraw() {
        keepTyped();
        forgetDrawn();
        problems.values().removeIf(Label::isDisposed);
        boolean smtp = transportId.equals(MailTransport.SMTP);
        for (Control c : smtpRows) {
            if (c.getLayoutData() == null) {
                c.setLayoutData(new GridData());
            }
            c.setVisible(smtp);
            ((GridData) c.getLayoutData()).exclude = !smtp;
        }
        providers.find(providerId).ifPresent(p -> p.fields().forEach(d -> draw(d, providerFieldsEnd)));
        chosenTransport().ifPresent(t -> t.fields().forEach(d -> draw(d, transportFieldsEnd)));
        for (FileStore st : chosenStores()) {
            st.fields().stream().filter(d -> !described.containsKey(d.key())).forEach(d -> draw(d, storeFieldsEnd));
        }
        relayout();
    }

    /** Lays the form out again and gives the scroller its new height (rows added, problems wrapped on more lines). */
    private void relayout() {
        if (form.isDisposed() || filling > 0) {
            return; // the filling ends by checking the form, which lays it out
        }
        form.layout(true, true);
        // the form is as wide as the visible area (the fields give up width, problems wrap in what is left: never a
        // sentence past the window's edge) and as tall as it needs at that width
        scroll.setMinWidth(0);
        scroll.setMinHeight(form.computeSize(Math.max(scroll.getClientArea().width, 1), SWT.DEFAULT).y);
    }

    /**
     * A field changed: by the user, it is touched and the form checked; by the part filling it (a preset, a flow
     * shown), nothing, as the filling checks the whole form once it is done (each field checked and laid out again
     * made showing a flow cost some forty layouts of the form: a sixth of the display thread's work before the
     * first window).
     */
    private void edited(String name) {
        if (filling == 0) {
            touched.add(name);
            validateNow();
        }
    }

    /** Scrolls the fields just drawn (those before {@code end}) into view. */
    private void showDrawn(Control end) {
        Control[] children = form.getChildren();
        int i = List.of(children).indexOf(end);
        if (i > 0 && drawn.contains(children[i - 1])) {
            scroll.showControl(children[i - 1]);
        }
    }

    private Optional<MailTransport> chosenTransport() {
        return transports == null ? Optional.empty() : transports.transport(transportId);
    }

    private List<FileStore> chosenStores() {
        if (transports == null) {
            return List.of();
        }
        List<FileStore> out = new ArrayList<>();
        for (String id : new LinkedHashSet<>(List.of(largeId, copiesId))) {
            transports.fileStore(id).ifPresent(out::add);
        }
        return out;
    }

    private void draw(FieldDescription d, Control before) {
        Label label = new Label(form, SWT.NONE);
        label.setText(d.label());
        label.setToolTipText(d.help().isEmpty() ? null : d.help());
        String value = draft.getOrDefault(d.key(), d.defaultValue());
        Control c;
        switch (d.kind()) {
            case BOOLEAN -> {
                Button b = new Button(form, SWT.CHECK);
                b.setSelection(Boolean.parseBoolean(value));
                b.addListener(SWT.Selection, e -> edited(d.key()));
                c = b;
            }
            case CHOICE -> {
                Combo k = new Combo(form, SWT.READ_ONLY);
                k.setItems(d.choices().toArray(String[]::new));
                k.select(Math.max(d.choices().indexOf(value), 0));
                k.addListener(SWT.Selection, e -> edited(d.key()));
                c = k;
            }
            default -> {
                Text t = new Text(form, SWT.BORDER);
                t.setText(value);
                t.setMessage(d.defaultValue());
                t.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
                t.addListener(SWT.Modify, e -> edited(d.key()));
                c = t;
            }
        }
        if (c.getLayoutData() == null) {
            c.setLayoutData(new GridData(SWT.LEFT, SWT.CENTER, false, false));
        }
        c.setToolTipText(d.help().isEmpty() ? null : d.help());
        c.setData(KEY, "flow.setting." + d.key());
        Label p = problemLabel(d.key());
        for (Control x : List.of(label, c, p)) {
            x.moveAbove(before);
            drawn.add(x);
        }
        settingFields.put(d.key(), c);
        described.put(d.key(), d);
    }

    /** Another flow is shown: what the drawn fields hold belongs to the one before. */
    private void forgetDrawn() {
        drawn.forEach(Control::dispose);
        drawn.clear();
        settingFields.clear();
        described.clear();
        // their problem labels went with them: a validation before the next redraw must not write to them
        problems.values().removeIf(Label::isDisposed);
    }

    /** Remembers what is typed in the drawn fields before they are rebuilt. */
    private void keepTyped() {
        settingFields.forEach((key, c) -> {
            if (!c.isDisposed()) {
                draft.put(key, settingValue(c));
            }
        });
    }

    private static String settingValue(Control c) {
        if (c instanceof Button b) {
            return Boolean.toString(b.getSelection());
        }
        return c instanceof Text t ? t.getText().strip() : ((Combo) c).getText();
    }

    /**
     * The flow's settings as they will be saved: the drawn fields' values and the chosen file stores, over the
     * settings of services not installed now (kept as loaded: nothing is lost while a bundle is away).
     */
    private Map<String, String> settings(List<FieldProblem> out) {
        keepTyped();
        Map<String, String> s = new TreeMap<>(draft);
        if (transports != null) {
            // the keys of installed services that are not chosen any more are dropped
            transports.transports().forEach(t -> t.fields().forEach(d -> s.remove(d.key())));
            transports.fileStores().forEach(t -> t.fields().forEach(d -> s.remove(d.key())));
        }
        providers.providers().forEach(p -> p.fields().forEach(d -> s.remove(d.key())));
        s.remove(FileStore.LARGE_FILES);
        s.remove(FileStore.KEEP_COPIES);
        settingFields.forEach((key, c) -> {
            String v = settingValue(c);
            if (v.isEmpty()) {
                return;
            }
            if (described.get(key).kind() == FieldDescription.Kind.NUMBER && !v.matches("-?\\d{1,18}")) {
                out.add(new FieldProblem(key, m.get("flows.notNumber", v)));
            }
            s.put(key, v);
        });
        if (!largeId.isEmpty()) {
            s.put(FileStore.LARGE_FILES, largeId);
        }
        if (!copiesId.isEmpty()) {
            s.put(FileStore.KEEP_COPIES, copiesId);
        }
        return s;
    }

    /** The flow as typed, or the problems that stop it from being built at all (a port that is not a number...). */
    private Object typed() {
        List<FieldProblem> out = new ArrayList<>();
        int timeout = number("timeout", value("flow.timeout"), 60, out);
        Optional<MailServer> smtp = server("smtp", timeout, out);
        Optional<MailServer> imap = server("imap", timeout, out);
        long limitMb = number("limit", value("flow.limit"), 0, out);
        Map<String, String> settings = settings(out);
        Optional<LocalDate> expiry = Optional.empty();
        if (!value("flow.expiry").isEmpty()) {
            try {
                expiry = Optional.of(LocalDate.parse(value("flow.expiry")));
            } catch (java.time.format.DateTimeParseException e) {
                out.add(new FieldProblem("expiry", "write the date as YYYY-MM-DD"));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        ConsentHost consent = ConsentHost.valueOf(value("flow.consent").toUpperCase());
        // what the form has no field for (a custom flow's endpoints, POP3, a login) stays as the stored flow has it:
        // the demo's sandbox flow, shown, was otherwise "invalid" for endpoints nobody could type
        Optional<Flow> kept = Optional.ofNullable(shown).filter(f -> f.id().equals(value("flow.id")) && f
                .providerId().equals(providerId));
        // nor for the type (a password flow stays one) or app-only consent: a new flow is a user's OAuth2 one
        return new Flow(value("flow.id"), value("flow.name"), kept.map(Flow::type).orElse(FlowType.OAUTH2),
                providerId, new ProviderFields(value("flow.tenant"), value("flow.clientId"), value("flow.redirectUri"),
                        scopes, consent, kept.map(f -> f.oauth().appOnly()).orElse(false)),
                kept.flatMap(Flow::authorizationUri), kept.flatMap(Flow::tokenUri), kept.flatMap(Flow::deviceUri), smtp,
                imap, kept.flatMap(Flow::pop), kept.map(Flow::username).orElse(""),
                value("flow.genericAddress").isEmpty() ? Optional.empty() : Optional.of(value("flow.genericAddress")),
                limitMb * 1024 * 1024, expiry, transportId, settings);
    }

    private Optional<MailServer> server(String which, int timeout, List<FieldProblem> out) {
        String host = value("flow." + which + ".host");
        if (host.isEmpty()) {
            return Optional.empty();
        }
        if (value("flow." + which + ".port").isEmpty()) {
            out.add(new FieldProblem(which + ".port", m.get("flows.port.missing")));
            return Optional.empty();
        }
        int port = number(which + ".port", value("flow." + which + ".port"), -1, out);
        try {
            return Optional.of(new MailServer(new ServerEndpoint(host, port, TlsMode.valueOf(value("flow." + which
                    + ".security").toUpperCase())), Duration.ofSeconds(timeout), null));
        } catch (IllegalArgumentException e) {
            if (out.stream().noneMatch(p -> p.field().equals(which + ".port"))) {
                out.add(new FieldProblem(which + ".port", e.getMessage()));
            }
            return Optional.empty();
        }
    }

    private static int number(String field, String v, int otherwise, List<FieldProblem> out) {
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            out.add(new FieldProblem(field, "'" + v + "' is not a number"));
            return otherwise;
        }
    }

    /** Shows each problem beside its field; @return the flow when it has none. */
    @SuppressWarnings("unchecked")
    private Flow validateNow() {
        problems.values().forEach(l -> l.setText(""));
        Object t = typed();
        List<FieldProblem> found = t instanceof Flow f ? serviceProblems(f) : (List<FieldProblem>) t;
        List<String> elsewhere = new ArrayList<>();
        boolean anyShown = false;
        for (FieldProblem p : found) {
            String name = p.field().startsWith("settings.") ? p.field().substring("settings.".length()) : p.field();
            if (!problems.containsKey(name)) {
                name = switch (name) {
                    case "smtp" -> "smtp.host";
                    case "attachmentLimit" -> "limit";
                    case "provider" -> "preset";
                    default -> name;
                };
            }
            Label l = problems.get(name);
            if (l != null && (l.isDisposed() || !l.getVisible())) {
                l = null; // a hidden field's problem goes to the status line, not out of sight
            }
            if (!showAll && (l == null || !touched.contains(name))) {
                continue; // not touched yet: Save shows it
            }
            anyShown = true;
            if (l != null && l.getText().isEmpty()) {
                l.setText(p.message());
            } else if (l == null) {
                elsewhere.add(p.toString());
            }
        }
        for (Label l : problems.values()) {
            if (!l.isDisposed() && l.getLayoutData() instanceof GridData gd) {
                gd.widthHint = l.getText().isEmpty() ? 0 : PROBLEM_WIDTH;
            }
        }
        status.setText(!anyShown ? "" : m.get("flows.invalid") + (elsewhere.isEmpty() ? ""
                : " " + String.join("; ", elsewhere)));
        relayout();
        status.getParent().layout(true, true);
        return found.isEmpty() && t instanceof Flow f ? f : null;
    }

    /**
     * What FlowAdmin finds, and what the chosen transport and file stores find in their own fields (a service is
     * asked directly too, so that its problems show while the administrator types).
     */
    private List<FieldProblem> serviceProblems(Flow f) {
        LinkedHashSet<FieldProblem> out = new LinkedHashSet<>(admin.validate(f));
        try {
            chosenTransport().ifPresent(tr -> out.addAll(tr.validate(f)));
            chosenStores().forEach(st -> out.addAll(st.validate(f)));
        } catch (RuntimeException e) {
            // a service's own bug must not take the editor down; FlowAdmin still checks on save
            LOG.log(System.Logger.Level.WARNING, "a transport or file store failed to validate flow " + f.id(), e);
        }
        return new ArrayList<>(out);
    }

    private void save() {
        showAll = true; // every problem, touched or not
        Flow f = validateNow();
        if (f == null) {
            return;
        }
        Text secret = (Text) fields.get("flow.secret");
        String typed = secret.getText();
        try {
            admin.save(f, typed.isEmpty() ? Optional.empty() : Optional.of(typed));
            filling++;
            try {
                secret.setText(""); // never kept in the widget
            } finally {
                filling--;
            }
            validateNow();
            if (!typed.isEmpty()) {
                secretState.setText(m.get("flows.secret.set"));
            }
            status.setText(m.get("flows.saved", f.id()));
            refreshList();
        } catch (EnvoiException e) {
            status.setText(e.toString());
        }
    }

    private void refreshList() {
        list.removeAll();
        for (Flow f : flows.flows()) {
            TableItem i = new TableItem(list, SWT.NONE);
            i.setText(f.name() + " (" + f.id() + ")");
            i.setData(f.id());
            i.setData(KEY, "flows.item." + f.id());
        }
    }

    /**
     * "Try with the local sandbox": starts the sandbox's servers and signs its operator in off the UI thread, then
     * shows its flow ready to test.
     */
    private void startSandbox(Sandbox sandbox, Button button) {
        button.setEnabled(false);
        status.setText(m.get("flows.sandbox.starting"));
        org.eclipse.swt.widgets.Display display = list.getDisplay();
        CompletableFuture.supplyAsync(() -> {
            Sandbox.Running r = sandbox.start();
            sandbox.signIn();
            return r;
        }).whenComplete((r, error) -> display.asyncExec(() -> {
            if (list.isDisposed()) {
                return;
            }
            button.setEnabled(true);
            if (error != null) {
                status.setText(error.getCause() != null ? error.getCause().toString() : error.toString());
                return;
            }
            refreshList();
            for (int i = 0; i < list.getItemCount(); i++) {
                if (r.flowId().equals(list.getItem(i).getData())) {
                    list.select(i);
                }
            }
            flows.flow(r.flowId()).ifPresent(this::show);
            testOperator.setText(r.operatorId());
            status.setText(m.get("flows.sandbox.ready", r.address(), Integer.toString(r.smtpPort()), Integer.toString(
                    r.imapPort())));
        }));
    }

    /**
     * Runs the tester as a job: each step shows as it ends, the bar moves step by step; Cancel closes the connection of
     * the step under way and the report says cancelled.
     */
    private void runTest() {
        String flowId = value("flow.id");
        String operator = testOperator.getText().strip();
        results.removeAll();
        status.setText(m.get("flows.testing", flowId, operator));
        testButton.setEnabled(false);
        java.util.concurrent.Executor ui = sync != null ? sync::asyncExec : display::asyncExec;
        testJob = new PartJob<FlowTester.Report>(m.get("flows.testing", flowId, operator), FlowTester.MAX_STEPS,
                testProgress, cancelButton, ui, (monitor, cancel) -> tester.test(flowId, operator,
                        new FlowTester.Listener() {
                            @Override
                            public void started(String step) {
                                monitor.subTask(step);
                            }

                            @Override
                            public void finished(FlowTester.Step step) {
                                monitor.worked(1);
                                ui.execute(() -> showStep(step));
                            }
                        }, cancel), (report, error) -> {
                            testButton.setEnabled(true);
                            testJob = null;
                            if (error instanceof java.util.concurrent.CancellationException) {
                                status.setText(m.get("flows.cancelled")); // before its first step
                            } else if (error != null) {
                                status.setText(error.toString());
                            } else if (report.cancelled()) {
                                status.setText(m.get("flows.test.cancelled", report.steps().isEmpty() ? "-"
                                        : report.steps().get(report.steps().size() - 1).name()));
                            } else {
                                status.setText(report.ok() ? "OK" : m.get("flows.step.failed"));
                            }
                        }).start();
    }

    private void showStep(FlowTester.Step s) {
        if (results.isDisposed()) {
            return;
        }
        TableItem i = new TableItem(results, SWT.NONE);
        i.setText(new String[] { s.name(), m.get(s.ok() ? "flows.step.ok" : "flows.step.failed"), Long.toString(s
                .took().toMillis()), s.sentence() });
        i.setForeground(display.getSystemColor(s.ok() ? SWT.COLOR_DARK_GREEN : SWT.COLOR_RED));
        i.setData(KEY, "flow.test.step." + s.name());
        for (org.eclipse.swt.widgets.TableColumn c : results.getColumns()) {
            c.pack();
        }
    }
}
