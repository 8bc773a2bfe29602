package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --env} and {@code --env-file} with podman's meaning: {@code K=V} sets K; a bare {@code K} takes
 * the launcher's own value of K and is skipped when the launcher has none. A file holds one such entry a
 * line; lines starting with {@code #} (after leading blanks) and blank lines are skipped, and the value
 * is the rest of the line as written (no quotes are removed). Files are read first, in order, then
 * {@code --env}: a later entry for the same name wins.
 */
public final class EnvironmentFlags {
    private EnvironmentFlags() {
    }

    public static List<String> merge(List<String> base, List<Path> envFiles, List<String> envFlags, Map<String, String> launcherEnv) {
        Map<String, String> merged = new LinkedHashMap<>();
        base.forEach(entry -> put(merged, entry));
        for (Path file : envFiles) {
            List<String> lines = read(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).stripLeading();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String entry = entry(line, launcherEnv, "--env-file: " + file + ":" + (i + 1));
                if (entry != null) {
                    put(merged, entry);
                }
            }
        }
        for (String flag : envFlags) {
            String entry = entry(flag, launcherEnv, "--env");
            if (entry != null) {
                put(merged, entry);
            }
        }
        return merged.values().stream().toList();
    }

    /** {@code K=V} as it is, {@code K} with the launcher's value (null when it has none). */
    private static String entry(String text, Map<String, String> launcherEnv, String where) {
        int eq = text.indexOf('=');
        String name = eq < 0 ? text : text.substring(0, eq);
        if (name.isEmpty()) {
            throw new LaunchException(where + ": \"" + text + "\" has no variable name (expected NAME=VALUE or NAME)");
        }
        if (!name.chars().allMatch(c -> c > ' ' && c != 0x7f)) {
            throw new LaunchException(where + ": variable name \"" + name + "\" contains blanks or control characters");
        }
        if (text.indexOf('\0') >= 0) {
            throw new LaunchException(where + ": \"" + name + "\" contains a NUL character");
        }
        if (eq >= 0) {
            return text;
        }
        String value = launcherEnv.get(name);
        return value == null ? null : name + "=" + value;
    }

    private static void put(Map<String, String> merged, String entry) {
        int eq = entry.indexOf('=');
        merged.put(eq < 0 ? entry : entry.substring(0, eq), entry);
    }

    private static List<String> read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return text.lines().toList();
        } catch (CharacterCodingException e) {
            throw new LaunchException("--env-file: " + file + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new LaunchException("--env-file: " + file + ": " + FileErrors.reason(e));
        }
    }
}
