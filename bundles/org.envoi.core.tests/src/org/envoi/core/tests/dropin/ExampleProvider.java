package org.envoi.core.tests.dropin;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.envoi.api.provider.ConsentHost;
import org.envoi.api.provider.EndpointTemplate;
import org.envoi.api.provider.FieldProblem;
import org.envoi.api.provider.MailCapability;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderError;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.provider.TlsMode;

/**
 * A third provider that is not part of Envoi. {@code DropInProviderTest} packs this one class, a manifest and a DS
 * descriptor into a new bundle at run time. It must stay a single class file (no lambdas, no nested classes) and
 * use only the API.
 */
public final class ExampleProvider implements MailProvider {

    @Override
    public String id() {
        return "example";
    }

    @Override
    public String displayName() {
        return "Example Mail (drop-in)";
    }

    @Override
    public ProviderPreset preset() {
        return new ProviderPreset(new EndpointTemplate("https://login.example.org/authorize"),
                new EndpointTemplate("https://login.example.org/token"), Optional.empty(),
                Map.of(MailCapability.SEND, List.of("mail.send"), MailCapability.READ_IMAP, List.of("mail.read")),
                Optional.empty(), new ServerEndpoint("smtp.example.org", 465, TlsMode.TLS),
                new ServerEndpoint("imap.example.org", 993, TlsMode.TLS), Optional.empty(), Optional.empty(),
                ConsentHost.LOOPBACK, Map.of());
    }

    @Override
    public List<FieldProblem> validate(ProviderFields fields) {
        return fields.commonProblems();
    }

    @Override
    public ProviderError explain(String error, String description) {
        return ProviderError.standard(error, description);
    }
}
