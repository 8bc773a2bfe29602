package dev.bulwark.launcher.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** The text of a systemd service unit for a foreground {@code bulwark run} (see {@link SystemdUnitCommand}). */
final class SystemdUnit {
    private SystemdUnit() {
    }

    /** @param userUnit for a user's service manager (rootless): WantedBy=default.target, multi-user.target otherwise */
    static String render(String description, boolean notify, List<String> execStart, Path workingDirectory,
                         long timeoutStopSeconds, boolean userUnit) {
        StringBuilder unit = new StringBuilder();
        unit.append("# Written by bulwark systemd-unit. Install as /etc/systemd/system/NAME.service (root) or\n")
                .append("# ~/.config/systemd/user/NAME.service (rootless, systemctl --user), then daemon-reload.\n")
                .append("[Unit]\n")
                .append("Description=").append(escapeValue(description)).append('\n')
                .append('\n')
                .append("[Service]\n");
        if (notify) {
            unit.append("# The workload sends READY=1; bulwark relays NOTIFY_SOCKET and stays the main process.\n")
                    .append("Type=notify\n")
                    .append("NotifyAccess=main\n");
        } else {
            unit.append("Type=exec\n");
        }
        unit.append("ExecStart=").append(execStart.stream().map(SystemdUnit::quote).collect(Collectors.joining(" "))).append('\n')
                .append("WorkingDirectory=").append(escapeValue(workingDirectory.toString())).append('\n')
                .append("# SIGTERM to bulwark alone: it relays it, waits --stop-timeout, then kills the container.\n")
                .append("KillMode=mixed\n")
                .append("TimeoutStopSec=").append(timeoutStopSeconds).append('\n')
                .append('\n')
                .append("[Install]\n")
                .append("WantedBy=").append(userUnit ? "default.target" : "multi-user.target").append('\n');
        return unit.toString();
    }

    /**
     * One ExecStart argument as systemd parses it back: a word of plain characters as it is, anything else
     * in double quotes with C escapes; specifiers ({@code %}) and variable references ({@code $}) doubled,
     * everywhere, since systemd expands them before it unquotes.
     */
    static String quote(String argument) {
        String escaped = argument.replace("%", "%%").replace("$", "$$");
        if (!escaped.isEmpty() && escaped.chars().allMatch(SystemdUnit::plain)) {
            return escaped;
        }
        StringBuilder quoted = new StringBuilder("\"");
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                case '\r' -> quoted.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        quoted.append(String.format("\\x%02x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    private static boolean plain(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "_@%+=:,./-$".indexOf(c) >= 0;
    }

    /** A one-line setting value: specifiers doubled, line breaks and other control characters as spaces. */
    private static String escapeValue(String value) {
        return value.replace("%", "%%").chars().mapToObj(c -> c < 0x20 || c == 0x7f ? " " : String.valueOf((char) c))
                .collect(Collectors.joining());
    }
}
