package org.envoi.ui.parts;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.custom.TableEditor;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowAdmin;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.FlowType;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.mail.OutboxSenders;
import org.envoi.api.oauth.ConsentHandler;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.vault.VaultKey;
import org.envoi.ui.consent.SignInDialog;

import jakarta.annotation.PostConstruct;

/**
 * Per operator: the flow, the sign-in's state in a sentence (signed in until when, consent needed and why, when it
 * lapses) and a Sign in button that starts that operator's consent; above, a notice when someone must act (a consent
 * to give, a sign-in that lapses within a week, a client secret about to expire, a sender failing or paused).
 */
public class FlowHealthPart {

    static final String KEY = ProvidersPart.KEY;

    private Messages m;
    private OperatorRepository operators;
    private FlowRepository flows;
    private FlowAdmin admin;
    private TokenService tokens;
    private SignInKeeper keeper;
    private ConsentHandler embedded;
    private ConsentHandler loopback;
    private OutboxSenders senders;
    private LocalDate today;
    private Label notice;
    private Table table;
    private final List<TableEditor> editors = new ArrayList<>();

    @PostConstruct
    public void create(Composite parent, @Service OperatorRepository operators, @Service FlowRepository flows,
            @Service FlowAdmin admin, @Service TokenService tokens,
            @org.eclipse.e4.core.di.annotations.Optional @Service(filterExpression = "(consent.host=embedded)")
            ConsentHandler embedded,
            @org.eclipse.e4.core.di.annotations.Optional @Service(filterExpression = "(consent.host=loopback)")
            ConsentHandler loopback,
            @org.eclipse.e4.core.di.annotations.Optional @Service OutboxSenders senders,
            @org.eclipse.e4.core.di.annotations.Optional @Service SignInKeeper keeper) {
        create(parent, Messages.platform(), operators, flows, admin, tokens, keeper, LocalDate.now(), embedded,
                loopback, senders);
        if (senders != null) {
            showSenders(senders.failing());
        }
        // the selected operator's sign-in, as before the buttons of each row
        Button signIn = new Button(parent, SWT.PUSH);
        signIn.setText(m.get("signin.title"));
        signIn.setData(KEY, "health.signin");
        signIn.addListener(SWT.Selection, e -> {
            if (table.getSelectionIndex() >= 0) {
                signIn((String) table.getItem(table.getSelectionIndex()).getData());
            }
        });
    }

    public void create(Composite parent, Messages m, OperatorRepository operators, FlowRepository flows,
            FlowAdmin admin, TokenService tokens, LocalDate today) {
        create(parent, m, operators, flows, admin, tokens, null, today);
    }

    public void create(Composite parent, Messages m, OperatorRepository operators, FlowRepository flows,
            FlowAdmin admin, TokenService tokens, SignInKeeper keeper, LocalDate today) {
        create(parent, m, operators, flows, admin, tokens, keeper, today, null, null, null);
    }

    /**
     * @param embedded, loopback the consent hosts the Sign in buttons use (null: that way is not offered)
     * @param senders the outbox senders (null: their state is not shown)
     */
    public void create(Composite parent, Messages m, OperatorRepository operators, FlowRepository flows,
            FlowAdmin admin, TokenService tokens, SignInKeeper keeper, LocalDate today, ConsentHandler embedded,
            ConsentHandler loopback, OutboxSenders senders) {
        this.m = m;
        this.operators = operators;
        this.flows = flows;
        this.admin = admin;
        this.tokens = tokens;
        this.keeper = keeper;
        this.today = today;
        this.embedded = embedded;
        this.loopback = loopback;
        this.senders = senders;
        parent.setLayout(new GridLayout(1, false));
        notice = new Label(parent, SWT.WRAP);
        notice.setData(KEY, "health.notice");
        notice.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION);
        table.setData(KEY, "health.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        for (String h : new String[] { m.get("health.operator"), m.get("health.flow"), m.get("health.status"), "" }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
        fill();
    }

    /** (Re)reads every operator's sign-in: at creation, and when a sign-in dialog closes. */
    void fill() {
        if (table.isDisposed()) {
            return;
        }
        editors.forEach(e -> {
            e.getEditor().dispose();
            e.dispose();
        });
        editors.clear();
        table.removeAll();
        SignInWords words = new SignInWords(m, ZoneId.systemDefault());
        Instant now = Instant.now();
        List<String> toAct = new ArrayList<>(admin.warnings(today));
        List<SignInKeeper.Lapse> lapses = lapses(keeper, toAct);
        for (Operator o : operators.operators()) {
            String flowId = operators.flowOf(o.id()).orElse(null);
            Flow flow = flowId == null ? null : flows.flow(flowId).orElse(null);
            String state;
            if (flow == null) {
                state = words.noFlow();
            } else if (flow.type() == FlowType.BASIC) {
                state = m.get("signin.state.password");
            } else {
                String owner = flow.generic() ? VaultKey.SHARED : o.id();
                try {
                    CredentialStatus s = tokens.status(flow.id(), owner);
                    Optional<Instant> lapsesAt = lapses.stream().filter(l -> l.flowId().equals(flow.id()) && l
                            .operatorId().equals(owner) && l.resource().isEmpty()).findFirst().flatMap(
                                    SignInKeeper.Lapse::lapsesAt);
                    state = words.sentence(s, lapsesAt, now);
                    if (s.state() != CredentialStatus.State.VALID) {
                        toAct.add(o.name() + " (" + flow.name() + "): " + state);
                    } else {
                        // who must act, for each of its resources, within a week
                        for (SignInKeeper.Lapse l : lapses) {
                            if (l.flowId().equals(flow.id()) && l.operatorId().equals(owner) && l.soon()) {
                                toAct.add(o.name() + " (" + flow.name() + "): " + l.sentence());
                            }
                        }
                    }
                } catch (org.envoi.api.EnvoiException e) {
                    // a vault that cannot be opened (damaged key...): said once, at the top, with what to do
                    state = e.toString();
                    if (!toAct.contains(state)) {
                        toAct.add(0, state);
                    }
                }
            }
            TableItem i = new TableItem(table, SWT.NONE);
            i.setText(new String[] { o.name() + " (" + o.id() + ")", flow == null ? "-" : flow.name(), state, "" });
            i.setData(KEY, "health.operator." + o.id());
            i.setData(o.id());
            if (flow != null && flow.type() == FlowType.OAUTH2) {
                signInButton(i, o.id());
            }
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
        if (senders != null && senders.activity().paused()) {
            toAct.add(0, m.get("health.paused"));
        }
        notice.setText(toAct.isEmpty() ? m.get("health.none") : m.get("health.notice") + "\n" + String.join("\n",
                toAct));
        notice.setForeground(toAct.isEmpty() ? null : notice.getDisplay().getSystemColor(SWT.COLOR_RED));
        notice.getParent().layout(true, true);
    }

    /** A Sign in button in the row's last column: the same consent as the sign-in action, for this operator. */
    private void signInButton(TableItem row, String operatorId) {
        Button b = new Button(table, SWT.PUSH);
        b.setText(m.get("signin.title"));
        b.setData(KEY, "health.signin." + operatorId);
        b.addListener(SWT.Selection, e -> signIn(operatorId));
        b.pack();
        TableEditor editor = new TableEditor(table);
        editor.minimumWidth = b.getSize().x;
        editor.grabHorizontal = true;
        editor.setEditor(b, row, 3);
        editors.add(editor);
    }

    /** Opens the sign-in dialog for the operator's flow; Flow health reads the states again when it closes. */
    void signIn(String operatorId) {
        operators.flowOf(operatorId).ifPresent(flowId -> {
            try {
                SignInDialog d = new SignInDialog(table.getShell(), m, tokens, admin.signInTarget(flowId, operatorId),
                        embedded, loopback);
                d.who(operators.operator(operatorId).map(Operator::name).orElse(operatorId), flows.flow(flowId).map(
                        Flow::name).orElse(flowId));
                d.shell().addListener(SWT.Dispose, e -> table.getDisplay().asyncExec(this::fill));
                d.open();
            } catch (org.envoi.api.EnvoiException ex) {
                notice.setText(ex.toString());
            }
        });
    }

    /** When each sign-in lapses; what stops the keeper from saying so goes in the notice (the rest is still shown). */
    private static List<SignInKeeper.Lapse> lapses(SignInKeeper keeper, List<String> toAct) {
        if (keeper == null) {
            return List.of();
        }
        try {
            return keeper.lapses(java.time.Instant.now());
        } catch (org.envoi.api.EnvoiException e) {
            toAct.add(e.toString());
            return List.of();
        }
    }

    /** A background sender that cannot go through the outbox comes first in the notice: mail is not going out. */
    void showSenders(List<OutboxSenders.Failing> failing) {
        if (failing.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder();
        for (OutboxSenders.Failing f : failing) {
            b.append("The outbox sender (process ").append(f.pid()).append(") has been failing since ").append(f
                    .since()).append(" (").append(f.passes()).append(" pass(es)); next try at ").append(f
                            .nextAttempt()).append(": ").append(f.reason()).append('\n');
        }
        notice.setText(b + notice.getText());
        notice.setForeground(notice.getDisplay().getSystemColor(SWT.COLOR_RED));
        notice.getParent().layout(true, true);
    }
}
