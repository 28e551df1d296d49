package org.envoi.store.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.envoi.api.flow.Company;
import org.envoi.api.flow.MailSetting;
import org.envoi.api.flow.SettingsRepository;
import org.envoi.api.mail.OutgoingMail.Priority;

/** The company, the mail settings per diffusion code (seeded with the ERP's documents) and the kept copies. */
public final class JdbcSettingsRepository implements SettingsRepository {

    private static final String SETTING = "SELECT diffusion_code, label, subject, body, html, priority, read_receipt,"
            + " copy_to_sender, file_name_pattern, keep_copy, copy_file_type, signature FROM mail_setting";
    private final Jdbc jdbc;

    public JdbcSettingsRepository(DataSource ds) {
        this.jdbc = new Jdbc(ds, "settings");
    }

    @Override
    public Company company() {
        return jdbc.one("SELECT name, footer, logo, logo_type FROM company WHERE id = 1",
                r -> new Company(r.getString(1), r.getString(2), Optional.ofNullable(r.getBytes(3)), r.getString(4)))
                .orElse(Company.empty());
    }

    @Override
    public void save(Company co) {
        jdbc.inTransaction(c -> {
            byte[] logo = co.logo().orElse(null);
            if (Jdbc.update(c, "UPDATE company SET name = ?, footer = ?, logo = ?, logo_type = ? WHERE id = 1",
                    co.name(), co.footer(), logo, co.logoMimeType()) == 0) {
                Jdbc.update(c, "INSERT INTO company (id, name, footer, logo, logo_type) VALUES (1, ?, ?, ?, ?)",
                        co.name(), co.footer(), logo, co.logoMimeType());
            }
            return null;
        });
    }

    @Override
    public List<MailSetting> mailSettings() {
        return jdbc.list(SETTING + " ORDER BY diffusion_code", JdbcSettingsRepository::setting);
    }

    @Override
    public Optional<MailSetting> mailSetting(String diffusionCode) {
        return jdbc.one(SETTING + " WHERE diffusion_code = ?", JdbcSettingsRepository::setting, diffusionCode);
    }

    @Override
    public void save(MailSetting s) {
        jdbc.inTransaction(c -> {
            Object[] values = { s.label(), s.subject(), s.body(), s.html(), s.priority().name(), s.readReceipt(),
                    s.copyToSender(), s.fileNamePattern(), s.keepCopy(), s.copyFileType(), s.signature(),
                    s.diffusionCode() };
            if (Jdbc.update(c, "UPDATE mail_setting SET label = ?, subject = ?, body = ?, html = ?, priority = ?,"
                    + " read_receipt = ?, copy_to_sender = ?, file_name_pattern = ?, keep_copy = ?,"
                    + " copy_file_type = ?, signature = ? WHERE diffusion_code = ?", values) == 0) {
                Jdbc.update(c, "INSERT INTO mail_setting (label, subject, body, html, priority, read_receipt,"
                        + " copy_to_sender, file_name_pattern, keep_copy, copy_file_type, signature, diffusion_code)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values);
            }
            return null;
        });
    }

    @Override
    public boolean removeMailSetting(String diffusionCode) {
        return jdbc.update("DELETE FROM mail_setting WHERE diffusion_code = ?", diffusionCode) > 0;
    }

    @Override
    public long keepCopy(String diffusionCode, String operatorId, String messageId, String fileName, String fileType,
            byte[] content, Instant at) {
        return jdbc.inTransaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO document_copy (diffusion_code, operator_id,"
                    + " message_id, file_name, file_type, content, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    new String[] { "id" })) {
                Jdbc.bind(p, diffusionCode, operatorId, messageId, fileName, fileType, content, Timestamp.from(at));
                p.executeUpdate();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    @Override
    public Optional<byte[]> copy(long id) {
        return jdbc.one("SELECT content FROM document_copy WHERE id = ?", r -> r.getBytes(1), id);
    }

    private static MailSetting setting(ResultSet r) throws SQLException {
        return new MailSetting(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getBoolean(5),
                Priority.valueOf(r.getString(6)), r.getBoolean(7), r.getBoolean(8), r.getString(9), r.getBoolean(10),
                r.getString(11), r.getString(12));
    }
}
