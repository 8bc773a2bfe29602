package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.CapabilityFlags;
import dev.bulwark.launcher.plan.EnvironmentFlags;
import dev.bulwark.launcher.plan.MountArguments;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.Mount;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The zero-config flags' parsing, with podman's meaning; the real containers are in RunFlagsTest. */
class RunFlagParsingTest {
    @Test
    void envFileThenEnvFlagsLaterWinsAndBareNamesComeFromTheLauncher(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("app.env");
        Files.writeString(file, "# comment\n\n  A=1\nB=two words \"quoted\"\nHOME_DIR\nABSENT\nC=file\n");
        List<String> env = EnvironmentFlags.merge(List.of("PATH=/bin", "C=base"), List.of(file), List.of("C=flag", "D"),
                Map.of("HOME_DIR", "/home/x", "D", "4"));
        assertEquals(List.of("PATH=/bin", "C=flag", "A=1", "B=two words \"quoted\"", "HOME_DIR=/home/x", "D=4"), env);
    }

    @Test
    void aMalformedEnvFileLineNamesTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.env");
        Files.writeString(file, "A=1\n# ok\n=value\n");
        LaunchException e = assertThrows(LaunchException.class, () -> EnvironmentFlags.merge(List.of(), List.of(file), List.of(), Map.of()));
        assertEquals("--env-file: " + file + ":3: \"=value\" has no variable name (expected NAME=VALUE or NAME)", e.getMessage());
    }

    @Test
    void capabilitiesAreCaseInsensitiveWithOptionalPrefixAndGoToAmbientForAnotherUser() {
        LinuxCapabilities root = CapabilityFlags.apply(List.of("net_bind_service,CAP_chown"), List.of(), 0);
        assertEquals(List.of("CAP_CHOWN", "CAP_NET_BIND_SERVICE"), root.bounding());
        assertEquals(root.bounding(), root.effective());
        assertEquals(List.of(), root.ambient());
        LinuxCapabilities user = CapabilityFlags.apply(List.of("NET_RAW"), List.of("ALL"), 1000);
        assertEquals(List.of("CAP_NET_RAW"), user.ambient());
        assertEquals(List.of("CAP_NET_RAW"), user.inheritable());
        assertEquals("--cap-add: unknown capability \"NET_BIND\" (see capabilities(7); e.g. NET_BIND_SERVICE)",
                assertThrows(LaunchException.class, () -> CapabilityFlags.apply(List.of("NET_BIND"), List.of(), 0)).getMessage());
        assertThrows(LaunchException.class, () -> CapabilityFlags.apply(List.of("all"), List.of(), 0));
        assertThrows(LaunchException.class, () -> CapabilityFlags.apply(List.of("CHOWN"), List.of("cap_chown"), 0));
    }

    @Test
    void tmpfsDefaultsAreHardenedAndOptionsAreChecked() {
        assertEquals(new Mount("/scratch", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "noexec", "rw", "mode=1777", "size=64m")),
                MountArguments.tmpfs("/scratch"));
        assertEquals(List.of("nosuid", "nodev", "exec", "ro", "mode=700", "size=1g"),
                MountArguments.tmpfs("/scratch:size=1G,mode=700,exec,ro").options());
        for (String bad : List.of("/s:size=", "/s:size=0", "/s:size=1x", "/s:mode=999", "/s:uid=0", "relative", "/proc", "/sys/x")) {
            LaunchException e = assertThrows(LaunchException.class, () -> MountArguments.tmpfs(bad), bad);
            assertEquals("--tmpfs: ", e.getMessage().substring(0, 9), bad);
        }
    }

    @Test
    void bindsAreReadOnlyUnlessRwAndTheirSourceMustExist(@TempDir Path dir) {
        assertEquals(List.of("rbind", "nosuid", "nodev", "ro"), MountArguments.bind("--mount", dir + ":/data").options());
        assertEquals(List.of("rbind", "nosuid", "nodev", "rw"), MountArguments.bind("--volume", dir + ":/data:rw").options());
        assertEquals("--volume: source " + dir + "/missing does not exist",
                assertThrows(LaunchException.class, () -> MountArguments.bind("--volume", dir + "/missing:/data")).getMessage());
        assertThrows(LaunchException.class, () -> MountArguments.bind("--mount", dir + ":/data:z"));
    }

    @Test
    void volumeIsWritableUnlessRoAsPodmansAndMountTakesPodmansKeyValueForm(@TempDir Path dir) {
        assertEquals(List.of("rbind", "nosuid", "nodev", "rw"), MountArguments.bind("--volume", dir + ":/data").options());
        assertEquals(List.of("rbind", "nosuid", "nodev", "ro"), MountArguments.bind("--volume", dir + ":/data:ro").options());
        assertEquals(new Mount("/data", "bind", dir.toString(), List.of("rbind", "nosuid", "nodev", "rw")),
                MountArguments.mountFlag("type=bind,src=" + dir + ",dst=/data"));
        assertEquals(List.of("rbind", "nosuid", "nodev", "ro"),
                MountArguments.mountFlag("type=bind,source=" + dir + ",target=/data,readonly").options());
        assertEquals(new Mount("/cache", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "noexec", "rw", "mode=700", "size=8m")),
                MountArguments.mountFlag("type=tmpfs,destination=/cache,tmpfs-size=8m,tmpfs-mode=700"));
        for (String bad : List.of("type=volume,src=x,dst=/d", "type=bind,dst=/d", "type=bind,src=" + dir, "type=tmpfs,dst=/d,tmpfs-size=x",
                "type=bind,src=" + dir + ",dst=/d,z", "type=bind,src=" + dir + ",dst=/d,ro=maybe")) {
            LaunchException e = assertThrows(LaunchException.class, () -> MountArguments.mountFlag(bad), bad);
            assertEquals("--mount: ", e.getMessage().substring(0, 9), bad);
        }
    }

    @Test
    void explainTakesOnlyBriefOrFullAsItsValueAndLeavesACommandAlone() {
        record Parsed(String explain, List<String> command) {
        }
        java.util.function.Function<List<String>, Parsed> parse = args -> {
            picocli.CommandLine line = BulwarkCli.commandLine();
            picocli.CommandLine.ParseResult result = line.parseArgs(args.toArray(String[]::new)).subcommand();
            RunCommand run = (RunCommand) result.commandSpec().userObject();
            return new Parsed(run.explain, run.command);
        };
        assertEquals(new Parsed("full", List.of("/bin/true")), parse.apply(List.of("run", "--explain", "/bin/true")));
        assertEquals(new Parsed("brief", List.of("/bin/true")), parse.apply(List.of("run", "--explain", "brief", "--", "/bin/true")));
        assertEquals(new Parsed("brief", List.of("/bin/true")), parse.apply(List.of("run", "--explain=brief", "/bin/true")));
        assertEquals(new Parsed("full", List.of("sh", "-c", "id")), parse.apply(List.of("run", "--explain", "--", "sh", "-c", "id")));
        assertEquals(new Parsed("full", List.of()), parse.apply(List.of("run", "--explain")));
        assertEquals(new Parsed(null, List.of("full")), parse.apply(List.of("run", "--", "full")));
    }
}
