package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 12's teaching commands through the real CLI in a new JVM: help everywhere, {@code explain TOPIC},
 * {@code audit} on runc's and Bulwark's own configs (bad input: one line, 125), and the manual pages and bash
 * completion the launcher's build generates into launcher/target.
 */
class TeachingCommandsTest {
    private static final Path LAUNCHER_TARGET = Path.of("../launcher/target");
    private Path work;

    @BeforeEach
    void makeWorkDirectory() throws IOException {
        work = Files.createTempDirectory(Path.of("/tmp"), "bulwark-teach-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterEach
    void removeWorkDirectory() throws IOException {
        try (var files = Files.walk(work)) {
            for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static Cli.Result bulwark(Mode mode, String... args) {
        return Cli.run(mode, List.of(args));
    }

    @Test
    void everyCommandAnswersHelpAndHelpCommandWithExamples() {
        Mode.ROOT.assumeAvailable();
        for (String command : List.of("run", "spec", "list", "state", "stats", "delete", "create", "start", "kill", "ps",
                "features", "seccomp", "audit", "explain")) {
            Cli.Result flag = bulwark(Mode.ROOT, command, "--help");
            assertEquals(0, flag.exitCode(), flag.describe());
            assertTrue(flag.stdout().contains("Examples:"), command + ": " + flag.describe());
            Cli.Result help = bulwark(Mode.ROOT, "help", command);
            assertEquals(0, help.exitCode(), help.describe());
            assertEquals(flag.stdout(), help.stdout(), command);
            assertFalse(help.stdout().contains("bulwark bulwark"), help.describe());
        }
    }

    @Test
    void explainTeachesATopicAndNamesTheNearestForATypo() {
        Mode.ROOT.assumeAvailable();
        Cli.Result seccomp = bulwark(Mode.ROOT, "explain", "linux.seccomp");
        assertEquals(0, seccomp.exitCode(), seccomp.describe());
        for (String part : List.of("What it is:", "Threat it blocks:", "How Bulwark sets it:", "userfaultfd")) {
            assertTrue(seccomp.stdout().contains(part), part + "\n" + seccomp.describe());
        }
        Cli.Result list = bulwark(Mode.ROOT, "explain");
        assertEquals(0, list.exitCode(), list.describe());
        assertTrue(list.stdout().contains("pivot_root"), list.describe());
        Cli.Result typo = bulwark(Mode.ROOT, "explain", "capabilites");
        assertEquals(1, typo.exitCode(), typo.describe());
        assertEquals("bulwark: explain: no topic \"capabilites\"; nearest: capabilities ('bulwark explain' lists them all)\n",
                typo.stderr());
    }

    @Test
    void auditFailsRuncSpecOnUserNamespaceAndSeccomp() throws Exception {
        Mode.ROOT.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")),
                "runc is not installed (Debian package runc)");
        Process runc = new ProcessBuilder("runc", "spec").directory(work.toFile()).redirectErrorStream(true).start();
        assertTrue(runc.waitFor(30, TimeUnit.SECONDS) && runc.exitValue() == 0, new String(runc.getInputStream().readAllBytes()));
        Cli.Result audit = bulwark(Mode.ROOT, "audit", "--profile", "oci", "--bundle", work.toString());
        assertEquals(1, audit.exitCode(), audit.describe());
        assertTrue(audit.stdout().contains("FAIL  5.31"), audit.describe());
        assertTrue(audit.stdout().contains("FAIL  5.22"), audit.describe());
        assertTrue(audit.stdout().contains("learn: bulwark explain userns"), audit.describe());
        Cli.Result lifted = bulwark(Mode.ROOT, "audit", "--profile", "hardened", work.resolve("config.json").toString());
        assertEquals(0, lifted.exitCode(), lifted.describe());
    }

    /** Written by an unprivileged user, runc's rootless spec maps container root onto that user, but shares the host's network. */
    @Test
    void auditOfRuncsRootlessSpecAsTheRootlessUser() throws Exception {
        Mode.ROOTLESS.assumeAvailable();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")),
                "runc is not installed (Debian package runc)");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        Process runc = new ProcessBuilder("setpriv", "--reuid=" + Mode.rootlessUid(), "--regid=" + Mode.rootlessGid(),
                "--clear-groups", "runc", "spec", "--rootless").directory(work.toFile()).redirectErrorStream(true).start();
        assertTrue(runc.waitFor(30, TimeUnit.SECONDS) && runc.exitValue() == 0, new String(runc.getInputStream().readAllBytes()));
        Cli.Result audit = bulwark(Mode.ROOTLESS, "audit", "--profile", "oci", "--json", work.resolve("config.json").toString());
        assertEquals(1, audit.exitCode(), audit.describe());
        JsonNode findings = new ObjectMapper().readTree(audit.stdout()).get("findings");
        java.util.Map<String, String> status = new java.util.HashMap<>();
        findings.forEach(finding -> status.put(finding.get("item").asText(), finding.get("status").asText()));
        assertEquals("PASS", status.get("5.31"), audit.stdout());
        assertEquals("FAIL", status.get("5.10"), audit.stdout());
        assertEquals("FAIL", status.get("5.22"), audit.stdout());
    }

    /** bulwark spec passes its own audit (exit 0, no FAIL), as root and as the rootless user (container root = that user). */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void bulwarkSpecFailsNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        List<String> spec = new ArrayList<>(List.of("spec", "--bundle", work.toString()));
        if (mode == Mode.ROOTLESS) {
            spec.add("--rootless");
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        Cli.Result written = Cli.run(mode, spec);
        assertEquals(0, written.exitCode(), written.describe());
        Cli.Result audit = bulwark(mode, "audit", "--json", work.resolve("config.json").toString());
        assertEquals(0, audit.exitCode(), audit.describe());
        JsonNode report = new ObjectMapper().readTree(audit.stdout());
        assertFalse(report.get("failed").asBoolean(), audit.describe());
        assertEquals("hardened", report.get("profile").asText());
        for (JsonNode finding : report.get("findings")) {
            assertTrue(finding.get("status").asText().equals("PASS") || finding.get("item").asText().equals("5.12"),
                    finding.toString());
        }
    }

    @Test
    void auditOfBadInputIsOneLineNamingTheFile() throws IOException {
        Mode.ROOT.assumeAvailable();
        Path broken = Files.writeString(work.resolve("broken.json"), "{\"ociVersion\": ");
        Path missing = work.resolve("missing.json");
        for (Path file : List.of(broken, missing)) {
            Cli.Result audit = bulwark(Mode.ROOT, "audit", file.toString());
            assertEquals(125, audit.exitCode(), audit.describe());
            assertEquals(1, audit.stderr().lines().count(), audit.describe());
            assertTrue(audit.stderr().startsWith("bulwark: " + file), audit.describe());
            assertEquals("", audit.stdout());
        }
    }

    @Test
    void theBuildGeneratesManPagesAndBashCompletion() throws Exception {
        Path man = LAUNCHER_TARGET.resolve("man");
        Path completion = LAUNCHER_TARGET.resolve("completion/bulwark.bash");
        assumeTrue(Files.isDirectory(LAUNCHER_TARGET), "launcher/target is not built (run mvn package or scripts/build)");
        for (String page : List.of("bulwark.1", "bulwark-run.1", "bulwark-audit.1", "bulwark-explain.1", "bulwark-seccomp-show.1")) {
            assertTrue(Files.isRegularFile(man.resolve("man1").resolve(page)), page);
        }
        assertTrue(Files.isRegularFile(man.resolve("adoc/bulwark-run.adoc")), "picocli-codegen's AsciiDoc page");
        String complete = run(List.of("bash", "-c", "source " + completion + " && complete -p bulwark"));
        assertTrue(complete.contains("-F _complete_bulwark bulwark"), complete);
        String words = run(List.of("bash", "-c", "source " + completion + " && COMP_WORDS=(bulwark au) COMP_CWORD=1 "
                + "COMP_LINE='bulwark au' COMP_POINT=10 && _complete_bulwark && echo \"${COMPREPLY[@]}\""));
        assertTrue(words.contains("audit"), words);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/man")), "man is not installed (Debian package man-db)");
        String rendered = run(List.of("env", "MANWIDTH=100", "man", "-l", man.resolve("man1/bulwark-run.1").toString()));
        for (String section : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "--stop-timeout")) {
            assertTrue(rendered.contains(section), section + "\n" + rendered);
        }
    }

    /** stdout and stderr of a host command that must succeed. */
    private static String run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), command.toString());
        assertEquals(0, process.exitValue(), command + "\n" + output);
        return output;
    }
}
