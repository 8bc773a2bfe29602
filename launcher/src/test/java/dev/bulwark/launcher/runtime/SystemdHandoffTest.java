package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.TiniInit;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;

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
    void theRelayForwardsOnlyTheAllowedStateKeys() {
        assertEquals("READY=1\nSTATUS=serving", NotifyRelay.forwarded("READY=1\nSTATUS=serving\n"));
        assertEquals("STATUS=x", NotifyRelay.forwarded("MAINPID=1\nSTATUS=x"));
        assertEquals("", NotifyRelay.forwarded("BARRIER=1"));
        assertEquals("WATCHDOG=1", NotifyRelay.forwarded("WATCHDOG=1"));
        String all = "READY=1\nRELOADING=1\nSTOPPING=1\nSTATUS=a=b\nERRNO=2\nBUSERROR=org.x.Y\nWATCHDOG=trigger\n"
                + "WATCHDOG_USEC=5000000\nEXTEND_TIMEOUT_USEC=1000\nMONOTONIC_USEC=42";
        assertEquals(all, NotifyRelay.forwarded(all));
    }

    @Test
    void theRelayDropsKeysOutsideTheAllowlist() {
        assertEquals("READY=1", NotifyRelay.forwarded("NOTIFYACCESS=all\nREADY=1\nFDSTORE=1\nFDNAME=x\nMAINPID=1"));
        assertEquals("", NotifyRelay.forwarded("FDSTOREREMOVE=1\nFDPOLL=0\nX_CUSTOM=1\nMAINPIDFDID=7"));
        assertEquals("", NotifyRelay.forwarded("READY\n=1\nready=1\n READY=1"), "no key, an empty key, another case or spacing");
        assertEquals("STATUS=ok", NotifyRelay.forwarded("READYX=1\nSTATUS=ok"), "a key is matched whole, not by prefix");
    }

    @Test
    void withoutAUserNamespaceOnlyTheContainerUidAndTheLauncherSpeak() {
        IntPredicate senders = NotifyRelay.senders(IdMaps.hostIds(), 1000, 0);
        assertTrue(senders.test(1000), "process.user.uid");
        assertTrue(senders.test(0), "the launcher's euid");
        assertFalse(senders.test(1001), "another host user");
        assertFalse(senders.test(65534), "nobody");
        assertTrue(NotifyRelay.senders(IdMaps.hostIds(), 4294967294L, 0).test(-2), "uids compare unsigned");
    }

    @Test
    void withAUserNamespaceTheMappedRangeAndTheLauncherSpeak() {
        IdMaps maps = new IdMaps(List.of(new LinuxIdMapping(0, 100000, 65536)), List.of(new LinuxIdMapping(0, 100000, 65536)), false);
        IntPredicate senders = NotifyRelay.senders(maps, 0, 1000);
        assertTrue(senders.test(100000));
        assertTrue(senders.test(165535));
        assertTrue(senders.test(1000), "the launcher's euid");
        assertFalse(senders.test(165536));
        assertFalse(senders.test(99999));
        assertFalse(senders.test(0), "process.user.uid is a container id here, not a host one");
    }
}
