package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** state.json is written by hand and read by Jackson: the two must agree. */
class ContainerStateTest {
    @Test
    void handWrittenJsonReadsBackEqual() throws Exception {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("org.example/quote", "say \"hi\"\\n\ttab \u0001");
        annotations.put("empty", "");
        ContainerState state = new ContainerState("1.2.0", "web-1", "running", 4242, 123456, 4200, 120000, "/srv/bundle", "/srv/bundle/rootfs",
                true, "2026-11-23T15:00:00Z", "0 1000 1", "0 1000 1", null,
                Map.of("pid", "pid:[4026532290]"), annotations);
        String json = state.toJson();
        assertEquals(state, new ObjectMapper().readValue(json, ContainerState.class));
        assertFalse(json.contains("\"cgroup\""), "null fields are left out: " + json);
    }

    @Test
    void emptyMapsAndNoOptionalFields() throws Exception {
        ContainerState state = new ContainerState("1.2.0", "c", "creating", 0, 0, 1, 0, null, "/r", false, "t", "m", "m",
                null, null, Map.of());
        assertEquals(state, new ObjectMapper().readValue(state.toJson(), ContainerState.class));
    }

    @Test
    void theOciStateForHooksHasOnlyTheSpecsFieldsWithTheStatusAsked() throws Exception {
        ContainerState state = new ContainerState("1.2.0", "web-1", "running", 4242, 123456, 4200, 120000, "/srv/bundle",
                "/srv/bundle/rootfs", true, "t", "0 1000 1", "0 1000 1", "/sys/fs/cgroup/x", Map.of("pid", "pid:[1]"),
                Map.of("k", "v"));
        var oci = new ObjectMapper().readTree(state.ociJson("creating"));
        java.util.List<String> fields = new java.util.ArrayList<>();
        oci.fieldNames().forEachRemaining(fields::add);
        assertEquals(java.util.List.of("ociVersion", "id", "status", "pid", "bundle", "annotations"), fields);
        assertEquals("creating", oci.get("status").asText());
        assertEquals(4242, oci.get("pid").asInt());
        assertEquals("v", oci.get("annotations").get("k").asText());
    }

    @Test
    void aClaimedStateReadsBackEqual() throws Exception {
        ContainerState claimed = ContainerState.claimed("c", new ProcessIdentity(77, 99), true);
        assertEquals(claimed, new ObjectMapper().readValue(claimed.toJson(), ContainerState.class));
    }

    @Test
    void aStateWhoseLauncherAndInitAreGoneIsStopped() {
        // This JVM's pid with a start time it does not have: a reused pid, not the recorded process.
        int self = (int) ProcessHandle.current().pid();
        ProcessIdentity me = ProcessIdentity.self();
        ContainerState reused = ContainerState.claimed("c", new ProcessIdentity(self, me.startTime() + 1), false);
        assertEquals("stopped", reused.effectiveStatus());
        assertEquals("stopped", reused.current().status());
        ContainerState live = ContainerState.claimed("c", me, false);
        assertEquals("creating", live.effectiveStatus());
        ContainerState orphan = ContainerState.claimed("c", new ProcessIdentity(self, me.startTime() + 1), false)
                .running(me, null);
        assertEquals("running", orphan.effectiveStatus(), "its init still runs: not stopped yet");
    }

    @Test
    void aCreatedContainerIsCreatedUntilStartedAndStoppedWhenItsInitIsGone() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        ProcessIdentity me = ProcessIdentity.self();
        ProcessIdentity goneLauncher = new ProcessIdentity(self, me.startTime() + 1);
        ContainerState created = ContainerState.claimed("c", goneLauncher, false).detach().cloned(me, null).withStatus("created");
        assertTrue(created.outlivesLauncher());
        assertEquals(created, new ObjectMapper().readValue(created.toJson(), ContainerState.class), "detached survives the disk");
        assertEquals("created", created.effectiveStatus(), "create has exited, the init waits");
        assertEquals("running", created.withStatus("running").effectiveStatus());
        ContainerState initGone = ContainerState.claimed("c", goneLauncher, false).detach()
                .cloned(new ProcessIdentity(self, me.startTime() + 1), null).withStatus("running");
        assertEquals("stopped", initGone.effectiveStatus());
        assertFalse(ContainerState.claimed("c", me, false).outlivesLauncher(), "run containers are not detached");
    }

    @Test
    void pausedLastsWhileTheInitLivesWithOrWithoutItsLauncher() {
        ProcessIdentity me = ProcessIdentity.self();
        ProcessIdentity gone = new ProcessIdentity(me.pid(), me.startTime() + 1); // a reused pid: not the recorded process
        ContainerState paused = new ContainerState("1.2.0", "c", "paused", me.pid(), me.startTime(), gone.pid(),
                gone.startTime(), null, "/r", false, "t", null, null, "/sys/fs/cgroup/bulwark/c", null, null, Boolean.TRUE);
        assertEquals("paused", paused.effectiveStatus(), "a created container's launcher is gone; its init is frozen");
        ContainerState withLauncher = new ContainerState("1.2.0", "c", "paused", me.pid(), me.startTime(), me.pid(),
                me.startTime(), null, "/r", false, "t", null, null, null, null, null);
        assertEquals("paused", withLauncher.effectiveStatus(), "a run container whose launcher waits");
        ContainerState initGone = new ContainerState("1.2.0", "c", "paused", gone.pid(), gone.startTime(), me.pid(),
                me.startTime(), null, "/r", false, "t", null, null, null, null, null);
        assertEquals("stopped", initGone.effectiveStatus(), "a paused container whose init died is stopped");
    }
}
