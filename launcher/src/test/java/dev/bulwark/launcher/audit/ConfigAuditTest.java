package dev.bulwark.launcher.audit;

import dev.bulwark.config.SpecParser;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxDevice;
import dev.bulwark.config.model.LinuxNamespace;
import dev.bulwark.config.model.LinuxSeccomp;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.plan.Profile;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit over real configs: Bulwark's own (bulwark spec), runc's (runc spec output, RealConfigsTest's bundle in
 * integration-tests) and Podman's (a config Podman 4 generated for {@code podman run} as root with a CNI network,
 * its seccomp allow-list shortened; beside this test as podman.json).
 */
class ConfigAuditTest {
    private static final Path REAL_CONFIGS = Path.of("../integration-tests/src/test/resources/realconfigs");

    private static Spec realConfig(String name) throws Exception {
        return SpecParser.parse(REAL_CONFIGS.resolve(name));
    }

    private static Spec podman() throws Exception {
        try (InputStream in = ConfigAuditTest.class.getResourceAsStream("podman.json")) {
            return SpecParser.parse(in, "podman.json");
        }
    }

    /** Item number to verdict, for the items that do not PASS. */
    private static Map<String, Status> notPassing(List<Finding> findings) {
        return findings.stream().filter(f -> f.status() != Status.PASS)
                .collect(Collectors.toMap(Finding::item, Finding::status, (a, b) -> a, TreeMap::new));
    }

    private static Finding item(List<Finding> findings, String item) {
        return findings.stream().filter(f -> f.item().equals(item)).findFirst().orElseThrow();
    }

    @Test
    void bulwarkSpecFailsNothingAsRootAndRootless() {
        for (DefaultsOptions options : List.of(DefaultsOptions.root(), DefaultsOptions.rootless(1000, 1000))) {
            List<Finding> findings = ConfigAudit.audit(HardenedDefaults.spec(options), Profile.OCI);
            // 5.12: the defaults carry no CPU weight, on purpose (README, "Learning the layers"); everything else passes.
            assertEquals(Map.of("5.12", Status.WARN), notPassing(findings), options.toString());
            assertFalse(ConfigAudit.anyFails(findings));
            assertTrue(item(findings, "5.22").found().startsWith("Bulwark's default profile"), item(findings, "5.22").found());
        }
    }

    @Test
    void runcSpecLacksAUserNamespaceAndSeccomp() throws Exception {
        List<Finding> findings = ConfigAudit.audit(realConfig("runc.json"), Profile.OCI);
        assertEquals(Map.of("5.4", Status.WARN, "5.11", Status.WARN, "5.12", Status.WARN, "5.22", Status.FAIL,
                "5.29", Status.WARN, "5.31", Status.FAIL, "B1", Status.WARN, "B2", Status.WARN), notPassing(findings));
        assertEquals("holds CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE", item(findings, "5.4").found());
        assertEquals("not masked: /proc/interrupts, /sys/devices/virtual/powercap", item(findings, "B2").found());
        assertTrue(ConfigAudit.anyFails(findings));
    }

    @Test
    void runcRootlessSpecSharesTheHostNetwork() throws Exception {
        // Written as root, so its one-id map is onto host uid 0; its network namespace is the host's (no slirp).
        Map<String, Status> verdicts = notPassing(ConfigAudit.audit(realConfig("runc-rootless.json"), Profile.OCI));
        assertEquals(Status.FAIL, verdicts.get("5.10"));
        assertEquals(Status.FAIL, verdicts.get("5.22"));
        assertEquals(Status.FAIL, verdicts.get("5.31"));
    }

    @Test
    void theHardenedProfileLiftsRuncSpecToNoFailure() throws Exception {
        List<Finding> findings = ConfigAudit.audit(realConfig("runc.json"), Profile.HARDENED);
        assertFalse(ConfigAudit.anyFails(findings), notPassing(findings).toString());
        assertEquals(Status.PASS, item(findings, "5.31").status());
        assertEquals(Status.PASS, item(findings, "B1").status());
    }

    @Test
    void podmansConfigHasSeccompButNoUserNamespaceNorNoNewPrivs() throws Exception {
        List<Finding> findings = ConfigAudit.audit(podman(), Profile.OCI);
        assertEquals(Map.of("5.4", Status.WARN, "5.11", Status.WARN, "5.12", Status.WARN, "5.13", Status.WARN,
                "5.26", Status.FAIL, "5.31", Status.FAIL, "B1", Status.WARN, "B2", Status.WARN), notPassing(findings));
        assertTrue(item(findings, "5.10").found().contains("/run/netns/cni-"), item(findings, "5.10").found());
        assertEquals(Status.PASS, item(findings, "5.6").status()); // its binds come from its own storage
        assertEquals(Map.of("5.4", Status.WARN, "5.11", Status.WARN, "5.12", Status.WARN, "B2", Status.WARN),
                notPassing(ConfigAudit.audit(podman(), Profile.HARDENED)));
    }

    @Test
    void privilegedLikeConfigsFail() throws Exception {
        Spec runc = realConfig("runc.json");
        List<String> all = KnownNames.CAPABILITIES;
        Spec privileged = runc.withProcess(runc.process().withCapabilities(
                new dev.bulwark.config.model.LinuxCapabilities(all, all, List.of(), all, List.of())));
        List<Finding> findings = ConfigAudit.audit(privileged, Profile.OCI);
        assertEquals(Status.FAIL, item(findings, "5.4").status());
        assertEquals(Status.FAIL, item(findings, "5.5").status());
        assertTrue(item(findings, "5.4").found().contains("CAP_SYS_ADMIN"));
    }

    @Test
    void hostMountsSocketsAndSharedPropagationAreNamed() throws Exception {
        Spec runc = realConfig("runc.json");
        List<Mount> mounts = new ArrayList<>(runc.mounts());
        mounts.add(new Mount("/host-etc", "bind", "/etc", List.of("rbind")));
        mounts.add(new Mount("/var/run/docker.sock", "bind", "/var/run/docker.sock", List.of("bind")));
        mounts.add(new Mount("/data", "bind", "/srv/data", List.of("rbind", "rshared")));
        List<Finding> findings = ConfigAudit.audit(runc.withMounts(mounts), Profile.OCI);
        Finding sensitive = item(findings, "5.6");
        assertEquals(Status.FAIL, sensitive.status());
        assertTrue(sensitive.found().contains("/etc at /host-etc"), sensitive.found());
        assertEquals(Status.FAIL, item(findings, "5.32").status());
        assertTrue(item(findings, "5.20").found().contains("(/data) is shared"), item(findings, "5.20").found());

        mounts = new ArrayList<>(runc.mounts());
        mounts.add(new Mount("/host-etc", "bind", "/etc/", List.of("rbind", "ro")));
        assertEquals(Status.WARN, item(ConfigAudit.audit(runc.withMounts(mounts), Profile.OCI), "5.6").status());
    }

    @Test
    void hostNamespacesByPathBlockDevicesAndAllowDefaultSeccompFail() throws Exception {
        Spec runc = realConfig("runc.json");
        List<LinuxNamespace> namespaces = new ArrayList<>(runc.linux().namespaces());
        namespaces.removeIf(ns -> ns.type().equals("pid"));
        namespaces.add(new LinuxNamespace("pid", "/proc/1/ns/pid"));
        Spec spec = runc.withLinux(runc.linux().withNamespaces(namespaces)
                .withSeccomp(new LinuxSeccomp("SCMP_ACT_ALLOW", null, List.of(), List.of(), null, null, List.of())));
        spec = spec.withLinux(new dev.bulwark.config.model.Linux(spec.linux().uidMappings(), spec.linux().gidMappings(),
                spec.linux().sysctl(), spec.linux().resources(), null, spec.linux().namespaces(),
                List.of(new LinuxDevice("/dev/sda", "b", 8L, 0L, 0660L, 0L, 0L)), spec.linux().seccomp(), null,
                spec.linux().maskedPaths(), spec.linux().readonlyPaths(), null, null, null, null));
        List<Finding> findings = ConfigAudit.audit(spec, Profile.OCI);
        assertEquals(Status.FAIL, item(findings, "5.16").status());
        assertEquals(Status.FAIL, item(findings, "5.18").status());
        assertEquals(Status.FAIL, item(findings, "5.22").status());
        assertTrue(item(findings, "5.22").found().contains("unconfined"));
    }

    @Test
    void limitsSetThroughUnifiedCount() {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        var resources = spec.linux().resources();
        var withUnified = new dev.bulwark.config.model.LinuxResources(resources.devices(), null, null, null, null, null,
                null, null, Map.of("memory.max", "64M", "pids.max", "max", "cpu.max", "50000 100000"));
        List<Finding> findings = ConfigAudit.audit(spec.withLinux(spec.linux().withResources(withUnified)), Profile.OCI);
        assertEquals(Status.PASS, item(findings, "5.11").status());
        assertEquals(Status.PASS, item(findings, "5.12").status());
        assertEquals(Status.WARN, item(findings, "5.29").status()); // "max" is no limit
    }

    @Test
    void landlockOffIsAWarningEvenWhenHardened() {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        Map<String, String> annotations = new HashMap<>(spec.annotations());
        annotations.put("dev.bulwark.landlock", "off");
        Finding landlock = item(ConfigAudit.audit(spec.withAnnotations(annotations), Profile.OCI), "B1");
        assertEquals(Status.WARN, landlock.status());
        assertEquals("landlock", landlock.topic());
    }

    @Test
    void everyFindingLinksAnExplainTopicThatExists() throws Exception {
        var topics = dev.bulwark.launcher.explain.ExplainTopics.load();
        for (Finding finding : ConfigAudit.audit(realConfig("runc.json"), Profile.OCI)) {
            assertTrue(topics.find(finding.topic()).isPresent(), finding.item() + ": topic " + finding.topic());
            assertFalse(finding.risk().isBlank() || finding.fix().isBlank() || finding.field().isBlank(), finding.item());
        }
    }
}
