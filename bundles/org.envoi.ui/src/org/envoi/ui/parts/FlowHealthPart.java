package org.envoi.ui.parts;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
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
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.oauth.CredentialStatus;
import org.envoi.api.oauth.SignInKeeper;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.vault.VaultKey;

import jakarta.annotation.PostConstruct;

/**
 * Per operator: the flow, the sign-in's state (valid until, consent required and why, when it lapses); above, a
 * notice when someone must act (a consent to give, a sign-in that lapses within a week, a client secret about to
 * expire).
 */
public class FlowHealthPart {

    static final String KEY = ProvidersPart.KEY;

    private Label notice;
    private Table table;

    @PostConstruct
    public void create(Composite parent, @Service OperatorRepository operators, @Service FlowRepository flows,
            @Service FlowAdmin admin, @Service TokenService tokens,
            @org.eclipse.e4.core.di.annotations.Optional @Service(filterExpression = "(consent.host=embedded)")
            org.envoi.api.oauth.ConsentHandler embedded,
            @org.eclipse.e4.core.di.annotations.Optional @Service(filterExpression = "(consent.host=loopback)")
            org.envoi.api.oauth.ConsentHandler loopback,
            @org.eclipse.e4.core.di.annotations.Optional @Service org.envoi.api.mail.OutboxSenders senders,
            @org.eclipse.e4.core.di.annotations.Optional @Service SignInKeeper keeper) {
        create(parent, Messages.platform(), operators, flows, admin, tokens, keeper, LocalDate.now());
        if (senders != null) {
            showSenders(senders.failing());
        }
        Button signIn = new Button(parent, SWT.PUSH);
        signIn.setText(Messages.platform().get("signin.title"));
        signIn.setData(KEY, "health.signin");
        signIn.addListener(SWT.Selection, e -> {
            if (table.getSelectionIndex() < 0) {
                return;
            }
            String operatorId = (String) table.getItem(table.getSelectionIndex()).getData();
            operators.flowOf(operatorId).ifPresent(flowId -> {
                try {
                    new org.envoi.ui.consent.SignInDialog(parent.getShell(), Messages.platform(), tokens,
                            admin.signInTarget(flowId, operatorId), embedded, loopback).open();
                } catch (org.envoi.api.EnvoiException ex) {
                    notice.setText(ex.toString());
                }
            });
        });
    }

    public void create(Composite parent, Messages m, OperatorRepository operators, FlowRepository flows,
            FlowAdmin admin, TokenService tokens, LocalDate today) {
        create(parent, m, operators, flows, admin, tokens, null, today);
    }

    public void create(Composite parent, Messages m, OperatorRepository operators, FlowRepository flows,
            FlowAdmin admin, TokenService tokens, SignInKeeper keeper, LocalDate today) {
        parent.setLayout(new GridLayout(1, false));
        notice = new Label(parent, SWT.WRAP);
        notice.setData(KEY, "health.notice");
        notice.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION);
        table.setData(KEY, "health.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        for (String h : new String[] { m.get("health.operator"), m.get("health.flow"), m.get("health.status") }) {
            new TableColumn(table, SWT.NONE).setText(h);
        }
        List<String> toAct = new ArrayList<>(admin.warnings(today));
        List<SignInKeeper.Lapse> lapses = lapses(keeper, toAct);
        for (Operator o : operators.operators()) {
            String flowId = operators.flowOf(o.id()).orElse(null);
            Flow flow = flowId == null ? null : flows.flow(flowId).orElse(null);
            String state;
            if (flow == null) {
                state = "NO_FLOW_FOR_OPERATOR";
            } else {
                String owner = flow.generic() ? VaultKey.SHARED : o.id();
                try {
                    CredentialStatus s = tokens.status(flow.id(), owner);
                    state = switch (s.state()) {
                        case VALID -> "VALID" + s.accessTokenExpiresAt().map(t -> ", access token until " + t)
                                .orElse("") + s.lastRefresh().map(t -> ", last refresh " + t).orElse("");
                        case NONE -> "NONE: nobody has signed in yet";
                        case CONSENT_REQUIRED -> "CONSENT_REQUIRED: " + s.reason().orElse("sign in again");
                    };
                    if (s.state() != CredentialStatus.State.VALID) {
                        toAct.add(o.name() + " (" + flow.name() + "): " + state);
                    } else {
                        // when the sign-in would lapse; who must act, for each of its resources, within a week
                        for (SignInKeeper.Lapse l : lapses) {
                            if (!l.flowId().equals(flow.id()) || !l.operatorId().equals(owner)) {
                                continue;
                            }
                            if (l.resource().isEmpty() && l.lapsesAt().isPresent()) {
                                state += ", lapses at " + l.lapsesAt().get();
                            }
                            if (l.soon()) {
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
            i.setText(new String[] { o.name() + " (" + o.id() + ")", flow == null ? "-" : flow.name(), state });
            i.setData(KEY, "health.operator." + o.id());
            i.setData(o.id());
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
        notice.setText(toAct.isEmpty() ? m.get("health.none") : m.get("health.notice") + "\n" + String.join("\n",
                toAct));
        if (!toAct.isEmpty()) {
            notice.setForeground(parent.getDisplay().getSystemColor(SWT.COLOR_RED));
        }
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
    void showSenders(List<org.envoi.api.mail.OutboxSenders.Failing> failing) {
        if (failing.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder();
        for (org.envoi.api.mail.OutboxSenders.Failing f : failing) {
            b.append("The outbox sender (process ").append(f.pid()).append(") has been failing since ").append(f
                    .since()).append(" (").append(f.passes()).append(" pass(es)); next try at ").append(f
                            .nextAttempt()).append(": ").append(f.reason()).append('\n');
        }
        notice.setText(b + notice.getText());
        notice.setForeground(notice.getDisplay().getSystemColor(SWT.COLOR_RED));
        notice.getParent().layout(true, true);
    }
}
