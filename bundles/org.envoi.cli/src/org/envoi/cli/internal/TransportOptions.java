package org.envoi.cli.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;
import org.envoi.api.files.FileStore;
import org.envoi.api.flow.Flow;
import org.envoi.api.mail.MailServer;
import org.envoi.api.provider.FieldDescription;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderFields;
import org.envoi.api.provider.ProviderRegistry;
import org.envoi.api.provider.ServerEndpoint;
import org.envoi.api.transport.MailTransport;
import org.envoi.api.transport.TransportRegistry;

/**
 * The transport options of {@code flow add} and {@code flow set}: which installed transport sends, which file stores
 * take large files and kept copies, and their settings. The named options are short forms of settings the services
 * describe ({@link FieldDescription#key()}); {@code --set KEY=VALUE} reaches any other, and the fields of the flow's
 * provider. A key that neither the transport, a chosen store nor the provider describes is refused, naming the known
 * ones: a typo never goes unnoticed.
 */
final class TransportOptions {

    /** Option → setting key. */
    private static final Map<String, String> NAMED = Map.of("--graph-url", "graph.url", "--large-files",
            FileStore.LARGE_FILES, "--files-folder", "files.folder", "--link-scope", "files.linkScope",
            "--keep-copies", FileStore.KEEP_COPIES);
    /** Every option the transport settings are read from. */
    static final java.util.Set<String> OPTIONS = java.util.stream.Stream.concat(NAMED.keySet().stream(),
            java.util.stream.Stream.of("--transport", "--set")).collect(Collectors.toUnmodifiableSet());

    private final TransportRegistry registry;
    private final ProviderRegistry providers;

    TransportOptions(TransportRegistry registry, ProviderRegistry providers) {
        this.registry = registry;
        this.providers = providers;
    }

    /** {@code base} with the transport and settings the options give (unchanged where they give none). */
    Flow change(Flow base, Cli.Options o) {
        String id = o.get("--transport").orElse(base.transport());
        MailTransport transport = registry.requireTransport(id);
        boolean switched = !id.equals(base.transport());
        Map<String, String> settings = new TreeMap<>(base.settings());
        if (switched) {
            // the old transport's settings mean nothing to the new one
            registry.transport(base.transport()).ifPresent(old -> old.fields().forEach(f -> settings.remove(f
                    .key())));
        }
        Map<String, String> given = new LinkedHashMap<>();
        NAMED.forEach((option, key) -> o.get(option).ifPresent(v -> given.put(key, v)));
        for (String kv : o.each("--set")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new Cli.Usage("--set '" + kv + "': write it as KEY=VALUE");
            }
            given.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        given.forEach((k, v) -> {
            if (v.isEmpty() || ((k.equals(FileStore.LARGE_FILES) || k.equals(FileStore.KEEP_COPIES))
                    && v.equals("none"))) {
                settings.remove(k);
            } else {
                settings.put(k, v);
            }
        });
        for (String key : List.of(FileStore.LARGE_FILES, FileStore.KEEP_COPIES)) {
            String store = settings.get(key);
            if (store != null && registry.fileStore(store).isEmpty()) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, key, "No file store '" + store + "' is"
                        + " installed; installed: " + names(registry.fileStores().stream().map(FileStore::id).toList())
                        + ". Install its feature from the Envoi update site (category File stores), or give none.",
                        null);
            }
        }
        Map<String, String> known = known(transport, settings);
        // the flow's provider describes fields too (Google: whether its app is in "Testing")
        List<FieldDescription> ofProvider = providers.find(base.providerId()).map(MailProvider::fields).orElse(List
                .of());
        ofProvider.forEach(f -> known.put(f.key(), base.providerId()));
        for (FieldDescription f : ofProvider) {
            String v = given.get(f.key());
            if (v != null && !v.isEmpty() && f.kind() == FieldDescription.Kind.CHOICE && !f.choices().contains(v)) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, f.key(), "'" + f.key() + "' (" + f.label()
                        + ") cannot be '" + v + "'; choose one of: " + String.join(", ", f.choices()) + ".", null);
            }
        }
        for (String key : given.keySet()) {
            if (!known.containsKey(key)) {
                throw new EnvoiException(ErrorCode.INVALID_FLOW_DATA, key, "'" + key + "' is not a setting of"
                        + " transport '" + id + "'" + (settings.containsKey(FileStore.LARGE_FILES) || settings
                                .containsKey(FileStore.KEEP_COPIES) ? " or of the file stores chosen" : "")
                        + "; known: " + names(known.keySet()) + ".", null);
            }
        }
        Flow withSettings = base.withTransport(id, settings);
        boolean storesChosen = given.containsKey(FileStore.LARGE_FILES) || given.containsKey(FileStore.KEEP_COPIES);
        return switched || storesChosen || (o.get("--transport").isPresent() && !id.equals(MailTransport.SMTP))
                ? retargeted(withSettings, transport, o, switched) : withSettings;
    }

    /**
     * Settings keys a flow with this transport and these stores may hold → who describes them. The store choices
     * themselves are always known.
     */
    private Map<String, String> known(MailTransport transport, Map<String, String> settings) {
        Map<String, String> known = new TreeMap<>();
        known.put(FileStore.LARGE_FILES, "file stores");
        known.put(FileStore.KEEP_COPIES, "file stores");
        transport.fields().forEach(f -> known.put(f.key(), transport.id()));
        for (String key : List.of(FileStore.LARGE_FILES, FileStore.KEEP_COPIES)) {
            Optional.ofNullable(settings.get(key)).flatMap(registry::fileStore).ifPresent(s -> s.fields().forEach(
                    f -> known.put(f.key(), s.id())));
        }
        return known;
    }

    /**
     * The flow moved to another transport: the scopes it asks for become the new transport's (unless {@code --scopes}
     * names them), and its servers follow: a transport other than SMTP sends and reads itself (the SMTP, IMAP and POP3
     * servers are dropped unless given in the same command), SMTP gets the provider's servers back when it has none.
     */
    private Flow retargeted(Flow f, MailTransport transport, Cli.Options o, boolean switched) {
        Optional<MailProvider> provider = providers.find(f.providerId());
        List<String> scopes = f.oauth().scopes();
        if (o.get("--scopes").isEmpty() && provider.isPresent()) {
            List<String> mail = provider.get().preset().flowScopes();
            java.util.Set<String> all = new java.util.LinkedHashSet<>(transport.scopes(f.providerId(), mail, f.oauth()
                    .appOnly()));
            // a store of the transport's resource (OneDrive beside Graph) shares the flow's sign-in: its scopes too
            for (String key : List.of(FileStore.LARGE_FILES, FileStore.KEEP_COPIES)) {
                Optional.ofNullable(f.settings().get(key)).flatMap(registry::fileStore).filter(s -> s.resource()
                        .equals(transport.resource())).ifPresent(s -> all.addAll(s.scopes(f)));
            }
            scopes = List.copyOf(all);
        }
        if (!switched && !(o.get("--transport").isPresent() && !transport.id().equals(MailTransport.SMTP))) {
            return withMail(f, scopes, f.smtp(), f.imap(), f.pop());
        }
        boolean smtp = transport.id().equals(MailTransport.SMTP);
        Optional<MailServer> smtpServer = o.get("--smtp").isPresent() ? f.smtp()
                : smtp ? f.smtp().or(() -> provider.map(p -> server(p.preset().smtp()))) : Optional.empty();
        Optional<MailServer> imap = o.get("--imap").isPresent() ? f.imap()
                : smtp ? f.imap().or(() -> provider.map(p -> server(p.preset().imap()))) : Optional.empty();
        Optional<MailServer> pop = o.get("--pop").isPresent() || smtp ? f.pop() : Optional.empty();
        return withMail(f, scopes, smtpServer, imap, pop);
    }

    /** {@code f} asking {@code scopes}, with these servers; the rest as it was. */
    static Flow withMail(Flow f, List<String> scopes, Optional<MailServer> smtpServer,
            Optional<MailServer> imap, Optional<MailServer> pop) {
        ProviderFields oauth = new ProviderFields(f.oauth().tenant(), f.oauth().clientId(), f.oauth().redirectUri(),
                scopes, f.oauth().consentHost(), f.oauth().appOnly());
        return new Flow(f.id(), f.name(), f.type(), f.providerId(), oauth, f.authorizationUri(), f.tokenUri(),
                f.deviceUri(), smtpServer, imap, pop, f.username(), f.genericAddress(), f.attachmentLimitBytes(),
                f.secretExpiry(), f.transport(), f.settings());
    }

    private static MailServer server(ServerEndpoint e) {
        return new MailServer(e, MailServer.DEFAULT_TIMEOUT, null);
    }

    /** ", settings: k=v, …" for the confirmation line (settings are never secrets). */
    String summary(Flow f) {
        if (f.settings().isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        f.settings().forEach((k, v) -> parts.add(k + "=" + Printable.field(v)));
        return ", settings: " + String.join(", ", parts);
    }

    private static String names(java.util.Collection<String> ids) {
        return ids.isEmpty() ? "none" : new TreeSet<>(ids).stream().collect(Collectors.joining(", "));
    }
}
