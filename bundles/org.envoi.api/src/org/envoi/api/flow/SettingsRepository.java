package org.envoi.api.flow;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Keeps the company, the mail settings per diffusion code and the kept copies of sent documents. Thread-safe. */
public interface SettingsRepository {

    Company company();

    void save(Company company);

    List<MailSetting> mailSettings();

    Optional<MailSetting> mailSetting(String diffusionCode);

    void save(MailSetting setting);

    boolean removeMailSetting(String diffusionCode);

    /** Keeps a copy of a sent document. @return the copy's id */
    long keepCopy(String diffusionCode, String operatorId, String messageId, String fileName, String fileType,
            byte[] content, Instant at);

    /** A kept copy's content. */
    Optional<byte[]> copy(long id);
}
