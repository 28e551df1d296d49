package org.envoi.diffusion.internal;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.flow.Flow;
import org.envoi.api.flow.FlowRepository;
import org.envoi.api.flow.Operator;
import org.envoi.api.flow.OperatorRepository;
import org.envoi.api.oauth.TokenService;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.transport.MailRoute;
import org.envoi.api.transport.MailRoutes;
import org.envoi.api.vault.TokenVault;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The routes the pipeline uses, for the parts outside it (the relay's pass-through): one place builds them. */
@Component(service = MailRoutes.class)
public final class MailRoutesService implements MailRoutes {

    private final OperatorRepository operators;
    private final FlowRepository flows;
    private final ProviderRegistry providers;
    private final TokenService tokens;
    private final TokenVault vault;

    @Activate
    public MailRoutesService(
            @Reference(policyOption = ReferencePolicyOption.GREEDY) OperatorRepository operators,
            @Reference FlowRepository flows,
            @Reference ProviderRegistry providers, @Reference TokenService tokens, @Reference TokenVault vault) {
        this.operators = operators;
        this.flows = flows;
        this.providers = providers;
        this.tokens = tokens;
        this.vault = vault;
    }

    @Override
    public MailRoute route(String flowId, String operatorId) {
        Operator operator = operators.operator(operatorId).orElseThrow(() -> new EnvoiException(
                ErrorCode.NO_FLOW_FOR_OPERATOR, null, "The operator '" + operatorId + "' is not known to Envoi.", null));
        Flow flow = flows.flow(flowId).orElseThrow(() -> new EnvoiException(ErrorCode.NO_FLOW_FOR_OPERATOR, null,
                "The flow '" + flowId + "' of operator '" + operatorId + "' no longer exists: attach the operator to"
                        + " a flow.", null));
        return FlowClients.route(flow, operatorId, operator.email(), providers, tokens, vault);
    }
}
