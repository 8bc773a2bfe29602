package dev.bulwark.launcher.explain;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExplainTopicsTest {
    private final ExplainTopics topics = ExplainTopics.load();

    @Test
    void everyLayerAndConfigFieldTheIssueNamesHasATopic() {
        for (String name : List.of("linux.seccomp", "process.capabilities", "linux.namespaces", "linux.maskedPaths",
                "process.noNewPrivileges", "linux.resources.pids", "root.readonly", "mounts", "capabilities", "userns",
                "seccomp", "landlock", "no_new_privs", "cgroups", "pivot_root", "masked-paths", "mount-namespace",
                "pid-namespace", "network", "LINUX.SECCOMP")) {
            assertTrue(topics.find(name).isPresent(), name);
        }
        assertEquals("seccomp", topics.find("linux.seccomp").orElseThrow().name());
        assertEquals("cgroups", topics.find("linux.resources.pids").orElseThrow().name());
    }

    @Test
    void everyTopicNamesAThreatAndHowBulwarkSetsIt() {
        for (Topic topic : topics.all()) {
            assertTrue(topic.what().length() > 80 && topic.threat().length() > 80 && topic.bulwark().length() > 80,
                    topic.name());
        }
        // The threats are named: the CVEs and techniques the layers are there for.
        assertTrue(topics.find("userns").orElseThrow().threat().contains("CVE-2019-5736"));
        assertTrue(topics.find("cgroups").orElseThrow().threat().contains("CVE-2022-0492"));
        assertTrue(topics.find("mounts").orElseThrow().threat().contains("CVE-2021-30465"));
        assertTrue(topics.find("seccomp").orElseThrow().threat().contains("userfaultfd"));
        assertTrue(topics.find("masked-paths").orElseThrow().threat().contains("/proc/sysrq-trigger"));
    }

    @Test
    void anUnknownTopicGetsTheNearestNames() {
        assertEquals(List.of("seccomp"), topics.nearest("secomp", 3));
        assertTrue(topics.nearest("namespace", 3).contains("linux.namespaces"), topics.nearest("namespace", 3).toString());
        assertEquals(List.of(), topics.nearest("zzzzzzzzzz", 3));
    }

    @Test
    void aMalformedFileNamesTheLine() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ExplainTopics.parse(List.of("== x", "title: t", "bogus line")));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ExplainTopics.parse(List.of("== x", "title: t")));
    }
}
