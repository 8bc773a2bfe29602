package dev.bulwark.launcher.plan;

import dev.bulwark.launcher.LaunchException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code --publish [IP:]HOSTPORT:PORT[/tcp|/udp]}: the host's {@code hostAddress:hostPort} forwarded by
 * pasta to {@code containerPort} in the container. Without an address the port is published on
 * 127.0.0.1 only: reaching the container from other machines is an explicit choice ({@code -p 0.0.0.0:8080:80}).
 *
 * @param protocol      "tcp" or "udp"
 * @param hostAddress   an IPv4 or IPv6 literal (without brackets)
 * @param hostPort      the host's port, 1..65535
 * @param containerPort the container's port, 1..65535
 */
public record PublishedPort(String protocol, String hostAddress, int hostPort, int containerPort) {
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    private static final Pattern FORM = Pattern.compile(
            "(?:(?<ip>\\[[0-9A-Fa-f:.]+\\]|[0-9.]+):)?(?<host>\\d{1,5}):(?<port>\\d{1,5})(?:/(?<proto>tcp|udp))?");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    /** Parses {@code text}; {@code field} names the flag or annotation in the one-line error. */
    public static PublishedPort parse(String text, String field) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw malformed(text, field, "expected [IP:]HOSTPORT:PORT[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:8053:53/udp");
        }
        String ip = m.group("ip");
        String address = DEFAULT_ADDRESS;
        if (ip != null) {
            address = ip.startsWith("[") ? ip.substring(1, ip.length() - 1) : ip;
            if (!ip.startsWith("[") && !IPV4.matcher(address).matches()) {
                throw malformed(text, field, "\"" + address + "\" is not an IPv4 address (write IPv6 in brackets: [::1]:8080:80)");
            }
            if (ip.startsWith("[") && !address.contains(":")) {
                throw malformed(text, field, "\"" + address + "\" is not an IPv6 address");
            }
        }
        int hostPort = port(m.group("host"), text, field, "HOSTPORT");
        int containerPort = port(m.group("port"), text, field, "PORT");
        return new PublishedPort(m.group("proto") == null ? "tcp" : m.group("proto"), address, hostPort, containerPort);
    }

    private static int port(String digits, String text, String field, String which) {
        int port = Integer.parseInt(digits);
        if (port < 1 || port > 65535) {
            throw malformed(text, field, which + " " + port + " is not a port (1-65535)");
        }
        return port;
    }

    private static LaunchException malformed(String text, String field, String why) {
        return new LaunchException(field + ": \"" + text + "\": " + why);
    }

    /** pasta's -t/-u port specification: {@code ADDRESS/HOSTPORT:PORT}. */
    public String pastaSpec() {
        return hostAddress + "/" + hostPort + ":" + containerPort;
    }

    public boolean udp() {
        return protocol.equals("udp");
    }

    /** The canonical form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return (hostAddress.contains(":") ? "[" + hostAddress + "]" : hostAddress) + ":" + hostPort + ":" + containerPort
                + "/" + protocol;
    }
}
