package dev.bulwark.launcher.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A cgroup path read from state.json is used for kill and removal only if Bulwark placed it for that container. */
class RecordedCgroupTest {
    private static final CgroupHost HOST = new CgroupHost(Path.of("/sys/fs/cgroup"), "/user.slice/user-1000.slice/session-1.scope",
            List.of(), 4242);

    @ParameterizedTest
    @ValueSource(strings = {"/sys/fs/cgroup/bulwark/web", "/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/bulwark-web",
            "/sys/fs/cgroup/custom/place/web"})
    void acceptsTheContainersOwnCgroup(String recorded) throws CgroupException {
        assertEquals(Path.of(recorded), ContainerCgroup.requireOwn(HOST, recorded, "web"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/sys/fs/cgroup", "/sys/fs/cgroup/system.slice", "/sys/fs/cgroup/bulwark/other",
            "/sys/fs/cgroup/bulwark/../system.slice/web", "/sys/fs/cgroup/bulwark/./web", "bulwark/web", "/etc/web",
            "/sys/fs/cgroup/bulwark/web/..", "/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/../web-x"})
    void refusesAnyOtherPath(String recorded) {
        CgroupException e = assertThrows(CgroupException.class, () -> ContainerCgroup.requireOwn(HOST, recorded, "web"));
        assertTrue(e.getMessage().contains("left alone"), e.getMessage());
    }

    @Test
    void refusesTheLaunchersOwnCgroupOrAnAncestor() {
        CgroupHost host = new CgroupHost(Path.of("/sys/fs/cgroup"), "/bulwark-web/inner", List.of(), 1);
        assertThrows(CgroupException.class, () -> ContainerCgroup.requireOwn(host, "/sys/fs/cgroup/bulwark-web", "web"));
    }
}
