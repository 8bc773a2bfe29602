package dev.bulwark.launcher.inspect;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The verdicts from /proc facts: a hardened container, a runc-like one, and a host process. */
class InspectionTest {
    private static final Map<String, String> HOST = namespaces(4026531837L);

    private static Map<String, String> namespaces(long base) {
        Map<String, String> ns = new LinkedHashMap<>();
        int i = 0;
        for (String type : ProcFacts.NAMESPACES) {
            ns.put(type, type + ":[" + (base + i++) + "]");
        }
        return ns;
    }

    private static Map<String, String> status(String caps, String bounding, String noNewPrivs, String seccomp, String filters) {
        Map<String, String> status = new LinkedHashMap<>();
        status.put("Uid", "0\t0\t0\t0");
        status.put("CapInh", "0000000000000000");
        status.put("CapPrm", caps);
        status.put("CapEff", caps);
        status.put("CapBnd", bounding);
        status.put("CapAmb", "0000000000000000");
        status.put("NoNewPrivs", noNewPrivs);
        status.put("Seccomp", seccomp);
        status.put("Seccomp_filters", filters);
        return status;
    }

    private static final ProcFacts.Mount ROOT_RO = new ProcFacts.Mount("/", "/", "tmpfs", "tmpfs", List.of("ro", "nosuid"), List.of("rw"));
    private static final ProcFacts.Mount PROC = new ProcFacts.Mount("/proc", "/", "proc", "proc", List.of("rw"), List.of("rw"));
    private static final ProcFacts.Mount KEYS = new ProcFacts.Mount("/proc/keys", "/null", "devtmpfs", "devtmpfs", List.of("rw"), List.of("rw"));
    private static final ProcFacts.Mount ACPI = new ProcFacts.Mount("/proc/acpi", "/", "tmpfs", "none", List.of("ro"), List.of("rw"));
    private static final ProcFacts.Mount CGROUP_UNDER = new ProcFacts.Mount("/sys/fs/cgroup", "/", "tmpfs", "tmpfs", List.of("ro"), List.of("rw"));
    private static final ProcFacts.Mount CGROUP = new ProcFacts.Mount("/sys/fs/cgroup", "/", "cgroup2", "cgroup", List.of("ro"), List.of("rw"));

    @Test
    void aHardenedContainerIsIsolatedByEveryLayerItHas() {
        ProcFacts facts = new ProcFacts(42, namespaces(4026532000L), List.of(new long[] {0, 1000000000, 65536}),
                List.of(new long[] {0, 1000000000, 65536}), status("0000000000000000", "0000000000000000", "1", "2", "1"),
                Optional.empty(), Optional.empty(), List.of(ROOT_RO, PROC, KEYS, ACPI, CGROUP_UNDER, CGROUP));
        Inspection inspection = Inspection.of(facts, HOST, Optional.empty());
        String text = inspection.toText();
        assertTrue(inspection.isolated());
        assertTrue(text.contains("namespaces    isolated     7 of 7 namespaces are its own"), text);
        assertTrue(text.contains("container uid 0 is host uid 1000000000, 65536 ids"), text);
        assertTrue(text.contains("container root is host uid 1000000000, an unprivileged host user"), text);
        assertTrue(text.contains("capabilities  isolated     no effective capabilities, empty bounding set"), text);
        assertTrue(text.contains("seccomp       isolated     filter mode, 1 filter(s)"), text);
        assertTrue(text.contains("masked (/dev/null or an empty read-only tmpfs over /proc and /sys entries): /proc/keys, /proc/acpi\n"),
                "a tmpfs under the cgroup2 mount at the same point is no mask: " + text);
        assertTrue(text.contains("mounts        isolated     its own mount table: root tmpfs read-only"), text);
    }

    @Test
    void aHostProcessIsNotIsolated() {
        ProcFacts facts = new ProcFacts(7, HOST, List.of(new long[] {0, 0, 4294967295L}), List.of(new long[] {0, 0, 4294967295L}),
                status("000001ffffffffff", "000001ffffffffff", "0", "0", "0"), Optional.of("unconfined"), Optional.of("/"),
                List.of(new ProcFacts.Mount("/", "/", "ext4", "/dev/vda", List.of("rw"), List.of("rw"))));
        Inspection inspection = Inspection.of(facts, HOST, Optional.empty());
        assertFalse(inspection.isolated(), inspection.toText());
        assertTrue(inspection.toText().startsWith("process 7: not isolated: it shares everything with the host\n"));
        assertTrue(inspection.toText().contains("user ids      not isolated no user namespace of its own: its uid 0 is host uid 0, host root"));
        assertTrue(inspection.toText().contains("LSM           not isolated unconfined: unconfined"));
        assertEquals(8, ((List<?>) inspection.toJson().get("layers")).size());
    }

    @Test
    void capabilitySetsAreDecodedByName() {
        ProcFacts facts = new ProcFacts(9, namespaces(4026532100L), List.of(new long[] {0, 0, 4294967295L}), List.of(),
                status("0000000020000420", "0000000020000420", "1", "0", "0"), Optional.empty(), Optional.empty(), List.of());
        String text = Inspection.of(facts, HOST, Optional.empty()).toText();
        assertTrue(text.contains("CapEff (effective): CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE"), text);
        assertTrue(text.contains("capabilities  partly       3 effective capabilities, 3 in the bounding set"), text);
    }

    @Test
    void mountPointNamesTheContainerChoseCannotWriteLinesOrTerminalSequences(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path mountinfo = dir.resolve("mountinfo");
        java.nio.file.Files.writeString(mountinfo, "36 35 0:40 / /data\\040dir\\012seccomp:\\040isolated\033[2K rw,nosuid - tmpfs tmpfs rw\n");
        String target = ProcFacts.mounts(mountinfo).get(0).mountPoint();
        assertEquals("/data dir\\012seccomp: isolated\\033[2K", target);
    }
}
