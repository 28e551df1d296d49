package org.envoi.ui.parts;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.e4.core.di.extensions.Service;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Combo;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Text;
import org.envoi.api.EnvoiException;
import org.envoi.api.diffusion.Diffusion;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.OutgoingMail.Priority;

import jakarta.annotation.PostConstruct;

/**
 * Mail settings per diffusion code: subject, body and file-name pattern with keywords, inserted from a list; a live
 * preview fills them with sample values, the footers and the signature exactly as sending would.
 */
public class MailSettingsPart {

    static final String KEY = ProvidersPart.KEY;
    /** Sample values of the preview: the keywords the ERP's documents carry (the same the command line checks). */
    static final Map<String, String> SAMPLE = Diffusion.SAMPLE_FIELDS;

    private Messages m;
    private SettingsRepository settings;
    private Diffusion diffusion;
    private Combo codes;
    private Text subject;
    private Text body;
    private Text fileName;
    private Button html;
    private Label preview;
    private Text previewBody;
    private Label status;
    private Text focused;

    @PostConstruct
    public void create(Composite parent, @Service SettingsRepository settings, @Service Diffusion diffusion) {
        create(parent, Messages.platform(), settings, diffusion);
    }

    public void create(Composite parent, Messages messages, SettingsRepository settings, Diffusion diffusion) {
        this.m = messages;
        this.settings = settings;
        this.diffusion = diffusion;
        parent.setLayout(new GridLayout(2, false));
        new Label(parent, SWT.NONE).setText(m.get("settings.code"));
        codes = new Combo(parent, SWT.READ_ONLY);
        codes.setData(KEY, "settings.code");
        codes.addListener(SWT.Selection, e -> show());
        new Label(parent, SWT.NONE).setText(m.get("settings.subject"));
        subject = text(parent, "settings.subject", SWT.SINGLE);
        new Label(parent, SWT.NONE).setText(m.get("settings.body"));
        body = text(parent, "settings.body", SWT.MULTI | SWT.WRAP | SWT.V_SCROLL);
        ((GridData) body.getLayoutData()).heightHint = 120;
        new Label(parent, SWT.NONE).setText(m.get("settings.fileName"));
        fileName = text(parent, "settings.fileName", SWT.SINGLE);
        new Label(parent, SWT.NONE);
        html = new Button(parent, SWT.CHECK);
        html.setText("HTML");
        html.setData(KEY, "settings.html");
        html.addListener(SWT.Selection, e -> refreshPreview());
        new Label(parent, SWT.NONE).setText(m.get("settings.insert"));
        Combo keywords = new Combo(parent, SWT.READ_ONLY);
        keywords.setData(KEY, "settings.keyword");
        List<String> names = new java.util.ArrayList<>(List.of("SOCIETE", "OPERATEUR"));
        names.addAll(SAMPLE.keySet());
        keywords.setItems(names.stream().map(k -> "[" + k + "]").toArray(String[]::new));
        keywords.addListener(SWT.Selection, e -> {
            Text into = focused == null ? body : focused;
            into.insert(keywords.getText());
            refreshPreview();
        });
        Button save = new Button(parent, SWT.PUSH);
        save.setText(m.get("flows.save"));
        save.setData(KEY, "settings.save");
        save.addListener(SWT.Selection, e -> save());
        status = new Label(parent, SWT.WRAP);
        status.setData(KEY, "settings.status");
        status.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        Label title = new Label(parent, SWT.NONE);
        title.setText(m.get("settings.preview"));
        preview = new Label(parent, SWT.WRAP);
        preview.setData(KEY, "settings.preview.subject");
        preview.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        new Label(parent, SWT.NONE);
        previewBody = new Text(parent, SWT.MULTI | SWT.WRAP | SWT.READ_ONLY | SWT.BORDER | SWT.V_SCROLL);
        previewBody.setData(KEY, "settings.preview.body");
        GridData pd = new GridData(SWT.FILL, SWT.FILL, true, true);
        pd.heightHint = 160;
        previewBody.setLayoutData(pd);
        codes.setItems(settings.mailSettings().stream().map(MailSetting::diffusionCode).toArray(String[]::new));
        if (codes.getItemCount() > 0) {
            codes.select(0);
            show();
        }
    }

    private Text text(Composite parent, String key, int style) {
        Text t = new Text(parent, SWT.BORDER | style);
        t.setData(KEY, key);
        t.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        t.addListener(SWT.Modify, e -> refreshPreview());
        t.addListener(SWT.FocusIn, e -> focused = t);
        return t;
    }

    private MailSetting stored() {
        return settings.mailSetting(codes.getText()).orElseThrow();
    }

    private void show() {
        MailSetting s = stored();
        subject.setText(s.subject());
        body.setText(s.body());
        fileName.setText(s.fileNamePattern());
        html.setSelection(s.html());
        refreshPreview();
    }

    private MailSetting edited() {
        MailSetting s = stored();
        return new MailSetting(s.diffusionCode(), s.label(), subject.getText(), body.getText(), html.getSelection(),
                s.priority() == null ? Priority.NORMAL : s.priority(), s.readReceipt(), s.copyToSender(),
                fileName.getText(), s.keepCopy(), s.copyFileType(), s.signature());
    }

    private void refreshPreview() {
        if (codes.getText().isEmpty() || previewBody == null) {
            return;
        }
        try {
            Diffusion.Preview p = diffusion.preview(edited(), SAMPLE, Optional.empty());
            preview.setText(p.subject() + "   \u2014   " + p.documentName());
            previewBody.setText(p.body());
            status.setText("");
        } catch (EnvoiException e) {
            preview.setText("");
            previewBody.setText("");
            status.setText(e.toString());
        }
        preview.getParent().layout(true, true);
    }

    private void save() {
        try {
            diffusion.preview(edited(), SAMPLE, Optional.empty()); // an unknown keyword is refused before saving
            settings.save(edited());
            status.setText(m.get("settings.saved", codes.getText()));
        } catch (EnvoiException e) {
            status.setText(e.toString());
        }
    }
}
