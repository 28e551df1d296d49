package org.envoi.ui.parts;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.stream.Collectors;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.swt.widgets.TableItem;
import org.envoi.api.provider.MailProvider;
import org.envoi.api.provider.ProviderPreset;
import org.envoi.api.provider.ProviderRegistry;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;

/**
 * The installed mail providers, live: a provider feature installed from the update site appears here without a
 * restart. Widgets carry {@value #KEY} data keys so that UI tests find them without SWTBot.
 */
public class ProvidersPart {

    /** Widget data key that UI tests look widgets up by. */
    public static final String KEY = "envoi.id";

    private static final Logger LOG = System.getLogger(ProvidersPart.class.getName());

    private Table table;
    private AutoCloseable subscription;
    private ProviderRegistry registry;

    @PostConstruct
    public void create(Composite parent, @Service ProviderRegistry registry) {
        this.registry = registry;
        parent.setLayout(new GridLayout(1, false));
        Label title = new Label(parent, SWT.NONE);
        title.setText("Mail providers installed in Envoi");
        table = new Table(parent, SWT.BORDER | SWT.FULL_SELECTION | SWT.SINGLE);
        table.setData(KEY, "providers.table");
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        table.setLayoutData(new GridData(SWT.FILL, SWT.FILL, true, true));
        for (String header : new String[] { "Provider", "Id", "SMTP", "IMAP", "Sign-in" }) {
            new TableColumn(table, SWT.NONE).setText(header);
        }
        refresh();
        subscription = registry.onChange(() -> {
            if (!table.isDisposed()) {
                table.getDisplay().asyncExec(this::refresh);
            }
        });
        LOG.log(Level.INFO, "Envoi window shows providers: " + registry.providers().stream().map(MailProvider::id)
                .collect(Collectors.joining(", ")));
    }

    private void refresh() {
        if (table == null || table.isDisposed()) {
            return;
        }
        table.removeAll();
        for (MailProvider p : registry.providers()) {
            ProviderPreset preset = p.preset();
            TableItem item = new TableItem(table, SWT.NONE);
            item.setText(new String[] { p.displayName(), p.id(), preset.smtp().toString(), preset.imap().toString(),
                    preset.consentHost().name().toLowerCase() });
            item.setData(KEY, "provider." + p.id());
        }
        for (TableColumn c : table.getColumns()) {
            c.pack();
        }
    }

    @PreDestroy
    public void dispose() throws Exception {
        if (subscription != null) {
            subscription.close();
        }
    }
}
