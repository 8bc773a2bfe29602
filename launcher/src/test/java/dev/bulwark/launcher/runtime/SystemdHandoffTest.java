package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.TiniInit;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Socket activation's variables and the notify relay's filter; real containers in SystemdServiceTest. */
class SystemdHandoffTest {
    private static Spec spec(String... args) {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        return spec.withProcess(spec.process().withArgs(List.of(args)).withEnv(List.of("PATH=/bin", "LISTEN_PID=99")));
    }

    @Test
    void activationMeantForTheLauncherIsRewrittenForTheWorkload() {
        SocketActivation activation = SocketActivation.fromEnvironment(
                Map.of("LISTEN_FDS", "2", "LISTEN_PID", "4242", "LISTEN_FDNAMES", "web:admin"), 4242).orElseThrow();
        assertEquals(new SocketActivation(2, "web:admin"), activation);
        assertEquals(List.of("PATH=/bin", "LISTEN_FDS=2", "LISTEN_PID=1", "LISTEN_FDNAMES=web:admin"),
                activation.applyTo(spec("serve")).process().env());
        assertTrue(activation.applyTo(spec(TiniInit.DESTINATION, "-s", "-g", "--", "serve")).process().env()
                .contains("LISTEN_PID=2"), "tini is pid 1, the workload its first child");
    }

    @Test
    void activationForAnotherProcessOrWithoutSocketsIsIgnored() {
        assertEquals(Optional.empty(), SocketActivation.fromEnvironment(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "1"), 4242));
        assertEquals(Optional.empty(), SocketActivation.fromEnvironment(Map.of("LISTEN_FDS", "0", "LISTEN_PID", "7"), 7));
        assertEquals(Optional.empty(), SocketActivation.fromEnvironment(Map.of("LISTEN_FDS", "1"), 7));
        LaunchException bad = assertThrows(LaunchException.class,
                () -> SocketActivation.fromEnvironment(Map.of("LISTEN_FDS", "x", "LISTEN_PID", "7"), 7));
        assertTrue(bad.getMessage().startsWith("LISTEN_FDS: "), bad.getMessage());
    }

    @Test
    void theRelayDropsMainPidAndBarrierAndKeepsTheRest() {
        assertEquals("READY=1\nSTATUS=serving", NotifyRelay.forwarded("READY=1\nSTATUS=serving\n"));
        assertEquals("STATUS=x", NotifyRelay.forwarded("MAINPID=1\nSTATUS=x"));
        assertEquals("", NotifyRelay.forwarded("BARRIER=1"));
        assertEquals("WATCHDOG=1", NotifyRelay.forwarded("WATCHDOG=1"));
    }
}
