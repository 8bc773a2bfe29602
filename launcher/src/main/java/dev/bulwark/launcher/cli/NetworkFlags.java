package dev.bulwark.launcher.cli;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.ContainerNetwork;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code run --network MODE} and {@code --publish}: the built-in default's network ({@link ContainerNetwork}). */
final class NetworkFlags {
    @Option(names = {"--network", "--net"}, paramLabel = "MODE", description = "built-in default only: the container's "
            + "network. loopback (default): a network namespace of its own with only lo, up; nothing outside is reachable. "
            + "none: the same as loopback (podman's none also brings lo up). "
            + "host: no network namespace, the host's interfaces and ports; this loosens isolation (the workload can "
            + "reach and bind whatever the host can), the container gets the host's /etc/resolv.conf. "
            + "ns:PATH: join the network namespace file PATH (e.g. /run/netns/NAME, /proc/PID/ns/net); rootless, "
            + "the namespace's own user namespace is joined too. "
            + "pasta: a network namespace of its own that Debian's pasta (package passt, /usr/bin/pasta) connects to the "
            + "host from outside, as podman 5 does: an interface with the host's address and routes, outbound TCP/UDP "
            + "through the host's sockets, DNS at " + ContainerNetwork.PASTA_DNS + " forwarded to the host's resolvers "
            + "(/etc/resolv.conf says so), no access to the host's own loopback services; host ports only with --publish. "
            + "pasta runs beside the container and ends with it. In a bundle: the annotations \"dev.bulwark.network\": "
            + "\"pasta\" and \"dev.bulwark.network.publish\": \"8080:80,...\"")
    String network;

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:]HOSTPORT:PORT[/tcp|/udp]", description = "built-in default "
            + "only, with --network pasta (repeatable): forward the host's HOSTPORT to the container's PORT (tcp unless "
            + "/udp), on 127.0.0.1 unless IP is given (IPv6 in brackets: [::1]:8080:80); a port already in use on the "
            + "host is refused before anything starts")
    List<String> publish = new ArrayList<>();

    /** The flags given, by their long names: refused with a bundle. */
    List<String> given() {
        List<String> given = new ArrayList<>();
        if (network != null) {
            given.add("--network");
        }
        if (!publish.isEmpty()) {
            given.add("--publish");
        }
        return given;
    }

    /** The built-in default {@code spec} with this network; every bad value is one line naming its flag. */
    Spec applyTo(Spec spec, boolean rootless) {
        return ContainerNetwork.parse(network, publish, rootless).applyTo(spec, rootless);
    }
}
