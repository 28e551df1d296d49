package org.envoi.ui.parts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.custom.ScrolledComposite;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.FileDialog;
import org.eclipse.swt.widgets.Group;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.EnvoiException;
import org.envoi.api.flow.Company;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorGroup;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.flow.SettingsRepository;

import jakarta.annotation.PostConstruct;

/**
 * Operators (their address, footer and signature, their group, a flow of their own), groups (a flow for all their
 * operators) and the company (name, footer, logo). An operator's own flow wins over their group's; the table shows the
 * flow each one actually uses.
 */
public class OperatorsPart {

    static final String KEY = ProvidersPart.KEY;

    private Messages m;
    private OperatorRepository operators;
    private FlowRepository flows;
    private SettingsRepository settings;
    private Table table;
    private Text id;
    private Text name;
    private Text email;
    private Combo group;
    private Combo flow;
    private Text footer;
    private Text signature;
    private Text groupId;
    private Text groupName;
    private Combo groupFlow;
    private Text companyName;
    private Text companyFooter;
    private Text logoPath;
    private Label status;

    /** Reads each operator's sign-in for the table (null: no such column). */
    private org.envoi.api.oauth.TokenService tokens;

    @PostConstruct
    public void create(Composite parent, @Service OperatorRepository operators, @Service FlowRepository flows,
            @Service SettingsRepository settings,
            @org.eclipse.e4.core.di.annotations.Optional @Service org.envoi.api.oauth.TokenService tokens) {
        create(parent, Messages.platform(), operators, flows, settings, tokens);
    }

    public void create(Composite parent, Messages messages, OperatorRepository operators, FlowRepository flows,
            SettingsRepository settings) {
        create(parent, messages, operators, flows, settings, null);
    }

    /** @param tokens where each operator's sign-in is read, said in a sentence in the table (null: not shown) */
    public void create(Composite parent, Messages messages, OperatorRepository operators, FlowRepository flows,
            SettingsRepository settings, org.envoi.api.oauth.TokenService tokens) {
        this.tokens = tokens;
        this.m = messages;
        this.operators = operators;
        this.flows = flows;
        this.settings = settings;
        parent.setLayout(new GridLayout(2, true));
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION | SWT.SINGLE);
        table.setData(KEY, "operators.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        for (String h : new String[] { m.get("operators.id"), m.get("operators.name"), m.get("operators.email"),
                m.get("operators.usesFlow") }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
        if (tokens != null) {
            new TableColumn(table, SWT.NONE).setText(m.get("operators.signin"));
        }
        table.addListener(SWT.Selection, e -> {
            if (table.getSelectionIndex() >= 0) {
                operators.operator((String) table.getItem(table.getSelectionIndex()).getData()).ifPresent(this::show);
            }
        });

        // the three forms scroll together, so that the company's Save is never under the window's edge
        ScrolledComposite scroll = new ScrolledComposite(parent, SWT.V_SCROLL);
        scroll.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        scroll.setExpandHorizontal(true);
        scroll.setExpandVertical(true);
        Composite forms = new Composite(scroll, SWT.NONE);
        GridLayout fl = new GridLayout(1, false);
        fl.marginWidth = 0;
        fl.marginHeight = 0;
        forms.setLayout(fl);
        scroll.setContent(forms);
        // only a minimum height: the width follows the visible area, which the scroll bar narrows once GTK has
        // shown it (hence a second layout, after the events of the first)
        scroll.addListener(SWT.Resize, e -> {
            scroll.setMinHeight(forms.computeSize(scroll.getClientArea().width, SWT.DEFAULT).y);
            scroll.getDisplay().asyncExec(() -> {
                if (!scroll.isDisposed()) {
                    scroll.layout(true);
                }
            });
        });
        Group op = group(forms, m.get("operators.title"));
        id = text(op, "operators.id", "operator.id", SWT.SINGLE);
        name = text(op, "operators.name", "operator.name", SWT.SINGLE);
        email = text(op, "operators.email", "operator.email", SWT.SINGLE);
        new Label(op, SWT.NONE).setText(m.get("operators.group"));
        group = combo(op, "operator.group");
        new Label(op, SWT.NONE).setText(m.get("operators.flow"));
        flow = combo(op, "operator.flow");
        footer = text(op, "operators.footer", "operator.footer", SWT.MULTI | SWT.WRAP);
        signature = text(op, "operators.signature", "operator.signature", SWT.MULTI | SWT.WRAP);
        button(op, "flows.save", "operator.save").addListener(SWT.Selection, e -> saveOperator());

        Group g = group(forms, m.get("operators.groups"));
        groupId = text(g, "operators.id", "group.id", SWT.SINGLE);
        groupName = text(g, "operators.name", "group.name", SWT.SINGLE);
        new Label(g, SWT.NONE).setText(m.get("operators.flow"));
        groupFlow = combo(g, "group.flow");
        button(g, "flows.save", "group.save").addListener(SWT.Selection, e -> saveGroup());

        Group c = group(forms, m.get("operators.company"));
        companyName = text(c, "operators.name", "company.name", SWT.SINGLE);
        companyFooter = text(c, "operators.footer", "company.footer", SWT.MULTI | SWT.WRAP);
        logoPath = text(c, "operators.logo", "company.logo", SWT.SINGLE);
        Button browse = button(c, "operators.browse", "company.browse");
        browse.addListener(SWT.Selection, e -> {
            FileDialog d = new FileDialog(parent.getShell(), SWT.OPEN);
            d.setFilterExtensions(new String[] { "*.png;*.jpg;*.gif" });
            String chosen = d.open();
            if (chosen != null) {
                logoPath.setText(chosen);
            }
        });
        button(c, "flows.save", "company.save").addListener(SWT.Selection, e -> saveCompany());

        status = new Label(parent, SWT.WRAP);
        status.setData(KEY, "operators.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        Company co = settings.company();
        companyName.setText(co.name());
        companyFooter.setText(co.footer());
        refresh();
        id.setFocus(); // a focused table would select (and show) its first operator by itself on GTK
    }

    private static Group group(Composite parent, String title) {
        Group g = new Group(parent, SWT.NONE);
        g.setText(title);
        g.setLayout(new GridLayout(2, false));
        g.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, false));
        return g;
    }

    private Text text(Composite parent, String label, String key, int style) {
        new Label(parent, SWT.NONE).setText(m.get(label));
        Text t = new Text(parent, SWT.BORDER | style);
        t.setData(KEY, key);
        GridData gd = new GridData(SWT.FILL, SWT.CENTER, true, false);
        if ((style & SWT.MULTI) != 0) {
            gd.heightHint = 40;
        }
        t.setLayoutData(gd);
        return t;
    }

    private static Combo combo(Composite parent, String key) {
        Combo c = new Combo(parent, SWT.READ_ONLY);
        c.setData(KEY, key);
        c.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        return c;
    }

    private Button button(Composite parent, String label, String key) {
        Button b = new Button(parent, SWT.PUSH);
        b.setText(m.get(label));
        b.setData(KEY, key);
        return b;
    }

    private void refresh() {
        List<String> flowIds = new ArrayList<>(List.of("-"));
        flows.flows().stream().map(Flow::id).forEach(flowIds::add);
        List<String> groupIds = new ArrayList<>(List.of("-"));
        operators.groups().stream().map(OperatorGroup::id).forEach(groupIds::add);
        for (Combo c : new Combo[] { flow, groupFlow }) {
            String keep = c.getText();
            c.setItems(flowIds.toArray(String[]::new));
            c.select(Math.max(0, c.indexOf(keep)));
        }
        String keep = group.getText();
        group.setItems(groupIds.toArray(String[]::new));
        group.select(Math.max(0, group.indexOf(keep)));
        table.removeAll();
        SignInWords words = new SignInWords(m, java.time.ZoneId.systemDefault());
        java.time.Instant now = java.time.Instant.now();
        for (Operator o : operators.operators()) {
            TableItem i = new TableItem(table, SWT.NONE);
            i.setText(new String[] { o.id(), o.name(), o.email(), operators.flowOf(o.id()).orElse(
                    "NO_FLOW_FOR_OPERATOR") });
            if (tokens != null) {
                i.setText(4, words.of(operators.flowOf(o.id()).flatMap(flows::flow).orElse(null), o.id(), tokens,
                        now));
            }
            i.setData(o.id());
            i.setData(KEY, "operators.row." + o.id());
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
    }

    private void show(Operator o) {
        id.setText(o.id());
        name.setText(o.name());
        email.setText(o.email());
        group.select(Math.max(0, group.indexOf(o.groupId().orElse("-"))));
        flow.select(Math.max(0, flow.indexOf(o.flowId().orElse("-"))));
        footer.setText(o.footer());
        signature.setText(o.signature());
    }

    private static Optional<String> chosen(Combo c) {
        return c.getText().isEmpty() || c.getText().equals("-") ? Optional.empty() : Optional.of(c.getText());
    }

    private void saveOperator() {
        if (id.getText().isBlank() || !email.getText().contains("@")) {
            status.setText(m.get("operators.invalid"));
            return;
        }
        try {
            operators.save(new Operator(id.getText().strip(), name.getText().strip(), email.getText().strip(),
                    chosen(group), chosen(flow), footer.getText(), signature.getText()));
            status.setText(m.get("operators.saved", id.getText().strip()));
            refresh();
        } catch (EnvoiException e) {
            status.setText(e.toString());
        }
    }

    private void saveGroup() {
        try {
            operators.save(new OperatorGroup(groupId.getText().strip(), groupName.getText().strip(),
                    chosen(groupFlow)));
            status.setText(m.get("operators.saved", groupId.getText().strip()));
            refresh();
        } catch (EnvoiException e) {
            status.setText(e.toString());
        }
    }

    private void saveCompany() {
        try {
            Company old = settings.company();
            Optional<byte[]> logo = old.logo();
            String type = old.logoMimeType();
            if (!logoPath.getText().isBlank()) {
                Path p = Path.of(logoPath.getText().strip());
                logo = Optional.of(Files.readAllBytes(p));
                String n = p.getFileName().toString().toLowerCase();
                type = n.endsWith(".jpg") || n.endsWith(".jpeg") ? "image/jpeg" : n.endsWith(".gif") ? "image/gif"
                        : "image/png";
            }
            settings.save(new Company(companyName.getText().strip(), companyFooter.getText(), logo, type));
            status.setText(m.get("operators.saved", companyName.getText().strip()));
        } catch (IOException e) {
            status.setText(m.get("operators.logoUnreadable", logoPath.getText(), e.getMessage()));
        } catch (EnvoiException e) {
            status.setText(e.toString());
        }
    }
}
