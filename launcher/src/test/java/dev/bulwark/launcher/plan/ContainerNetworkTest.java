package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ContainerNetworkTest {
    private static final Spec DEFAULT = BuiltInDefault.spec(0, 0, List.of("/bin/true"));

    @Test
    void publishDefaultsToLoopbackAndTcp() {
        assertEquals(new PublishedPort("tcp", "127.0.0.1", 8080, 80), PublishedPort.parse("8080:80", "--publish"));
        assertEquals(new PublishedPort("udp", "0.0.0.0", 5353, 53), PublishedPort.parse("0.0.0.0:5353:53/udp", "--publish"));
        assertEquals(new PublishedPort("tcp", "::1", 8080, 80), PublishedPort.parse("[::1]:8080:80", "--publish"));
        assertEquals("127.0.0.1/8080:80", PublishedPort.parse("8080:80", "--publish").pastaSpec());
        PublishedPort v6 = PublishedPort.parse("[::1]:8080:80/udp", "p");
        assertEquals(v6, PublishedPort.parse(v6.toString(), "p"), "the canonical form reads back");
    }

    @Test
    void malformedPublishNamesTheFlag() {
        for (String bad : List.of("80", "a:80", "8080:80/sctp", "0:80", "8080:70000", "1.2.3:8080:80", "[1.2.3.4]:8080:80",
                "localhost:8080:80", "8080-8090:80")) {
            LaunchException e = assertThrows(LaunchException.class, () -> PublishedPort.parse(bad, "--publish"), bad);
            assertTrue(e.getMessage().startsWith("--publish: \"" + bad + "\""), e.getMessage());
        }
    }

    @Test
    void unknownModeAndPublishWithoutPastaAreRefused() {
        LaunchException unknown = assertThrows(LaunchException.class, () -> ContainerNetwork.parse("bridge", List.of(), false));
        assertEquals("--network: \"bridge\" is not a network mode; use one of " + ContainerNetwork.MODES, unknown.getMessage());
        LaunchException publish = assertThrows(LaunchException.class,
                () -> ContainerNetwork.parse("host", List.of("8080:80"), false));
        assertTrue(publish.getMessage().startsWith("--publish: needs --network pasta"), publish.getMessage());
        LaunchException relative = assertThrows(LaunchException.class, () -> ContainerNetwork.parse("ns:netns", List.of(), false));
        assertTrue(relative.getMessage().startsWith("--network: ns:netns: give the absolute path"), relative.getMessage());
    }

    @Test
    void missingPastaNamesThePackage() {
        LaunchException e = assertThrows(LaunchException.class,
                () -> ContainerNetwork.requirePasta("--network pasta", Path.of("/nonexistent/pasta")));
        assertEquals("--network pasta: /nonexistent/pasta not found; install Debian's passt package", e.getMessage());
    }

    @Test
    void hostDropsTheNetworkNamespaceAndLoopbackKeepsIt() {
        Spec host = new ContainerNetwork(ContainerNetwork.Mode.HOST, null, List.of()).applyTo(DEFAULT, false);
        assertFalse(host.linux().hasNamespace("network"));
        assertTrue(host.linux().hasNamespace("user"), "only the network namespace goes");
        assertSame(DEFAULT, new ContainerNetwork(ContainerNetwork.Mode.NONE, null, List.of()).applyTo(DEFAULT, false));
        assertTrue(ContainerNetwork.resolvConf(DEFAULT).startsWith("# no network but loopback"));
    }

    @Test
    void namespaceJoinsByPath() {
        Spec joined = new ContainerNetwork(ContainerNetwork.Mode.NAMESPACE, "/run/netns/x", List.of()).applyTo(DEFAULT, false);
        assertTrue(joined.linux().namespaces().contains(new LinuxNamespace("network", "/run/netns/x")));
        assertFalse(joined.linux().createsNamespace("network"));
    }

    @Test
    void pastaTravelsAsAnnotationsThatReadBack() {
        List<PublishedPort> ports = List.of(PublishedPort.parse("8080:80", "p"), PublishedPort.parse("[::1]:5353:53/udp", "p"));
        Spec pasta = new ContainerNetwork(ContainerNetwork.Mode.PASTA, null, ports).applyTo(DEFAULT, false);
        assertEquals("pasta", pasta.annotations().get(ContainerNetwork.ANNOTATION));
        assertEquals(ports, ContainerNetwork.pastaOf(pasta).ports());
        assertTrue(pasta.linux().createsNamespace("network"));
        assertTrue(ContainerNetwork.resolvConf(pasta).contains("nameserver " + ContainerNetwork.PASTA_DNS + "\n"));
        assertNull(ContainerNetwork.pastaOf(DEFAULT));
    }

    @Test
    void badAnnotationsNameTheAnnotation() {
        LaunchException other = assertThrows(LaunchException.class,
                () -> ContainerNetwork.pastaOf(DEFAULT.withAnnotations(Map.of(ContainerNetwork.ANNOTATION, "slirp4netns"))));
        assertTrue(other.getMessage().startsWith("annotations[\"dev.bulwark.network\"]: \"slirp4netns\""), other.getMessage());
        LaunchException alone = assertThrows(LaunchException.class,
                () -> ContainerNetwork.pastaOf(DEFAULT.withAnnotations(Map.of(ContainerNetwork.PUBLISH_ANNOTATION, "8080:80"))));
        assertTrue(alone.getMessage().startsWith("annotations[\"dev.bulwark.network.publish\"]: needs"), alone.getMessage());
    }
}
