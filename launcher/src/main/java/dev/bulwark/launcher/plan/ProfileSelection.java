package dev.bulwark.launcher.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which {@link Profile} a launch uses, first found wins: the verb's {@code --profile} flag
 * ({@code bulwark create --profile hardened}), the global one before the verb ({@code bulwark --profile
 * hardened create}), {@code BULWARK_PROFILE}, {@code "profile"} in the system file
 * {@code /etc/bulwark/bulwark.json} (for engines that cannot pass flags), else {@link Profile#OCI}.
 *
 * @param flag       the verb's {@code --profile}, or null
 * @param globalFlag the global {@code --profile} before the verb, or null
 */
public record ProfileSelection(String flag, String globalFlag, Map<String, String> environment, Path systemFile) {
    public static final String ENVIRONMENT_VARIABLE = "BULWARK_PROFILE";
    public static final Path SYSTEM_FILE = Path.of("/etc/bulwark/bulwark.json");

    /** Without a global flag. */
    public ProfileSelection(String flag, Map<String, String> environment, Path systemFile) {
        this(flag, null, environment, systemFile);
    }

    /** The selection of this process: its flag values (or null), its environment and the system file. */
    public static ProfileSelection of(String flag, String globalFlag) {
        return new ProfileSelection(flag, globalFlag, System.getenv(), SYSTEM_FILE);
    }

    public static ProfileSelection of(String flag) {
        return of(flag, null);
    }

    public Profile profile() {
        if (flag != null) {
            return Profile.parse(flag, "--profile");
        }
        if (globalFlag != null) {
            return Profile.parse(globalFlag, "bulwark --profile (before the verb)");
        }
        String variable = environment.get(ENVIRONMENT_VARIABLE);
        if (variable != null && !variable.isBlank()) {
            return Profile.parse(variable, ENVIRONMENT_VARIABLE);
        }
        if (Files.exists(systemFile)) {
            return fromSystemFile();
        }
        return Profile.OCI;
    }

    private Profile fromSystemFile() {
        JsonNode document;
        try {
            document = new ObjectMapper().readTree(Files.readString(systemFile));
        } catch (IOException e) {
            throw new LaunchException(systemFile + ": cannot read it as JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode profile = document == null ? null : document.get("profile");
        if (profile == null || profile.isNull()) {
            return Profile.OCI;
        }
        if (!profile.isTextual()) {
            throw new LaunchException(systemFile + ": \"profile\" must be a string (hardened or oci)");
        }
        return Profile.parse(profile.asText(), systemFile + ": profile");
    }
}
