package dev.bulwark.nativeimage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * scripts/build-native's choice of builder and its one-line fallback, run for real in a copy of the build's layout
 * (so the checkout's own native launcher is never touched): a GraalVM {@code native-image} in {@code GRAALVM_HOME}
 * or on PATH is used with the options an image needs; when it fails, or when there is neither a GraalVM nor a
 * Temurin 25, exactly one line says why and the script exits 1 (scripts/build then keeps the JVM launcher). The
 * stand-in {@code native-image} programs here record their arguments instead of building (a real build takes
 * minutes; src/test/sh/fake-graalvm/bin/native-image is one that really builds, through the assembled builder).
 */
class BuildNativeRoutesTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    private static final String WHY_PREFIX = "build-native: ";
    private static final String KEEPING_JVM = "; keeping the JVM launcher";

    @TempDir
    Path sandbox;
    private Path arguments;

    @BeforeEach
    void copyTheBuildLayout() throws IOException {
        Path libs = REPO.resolve("launcher/target/lib");
        assumeTrue(Files.isDirectory(libs) && hasJffiNative(libs),
                "launcher/target/lib with jffi's native jar is made by mvn package of the launcher module; not built here");
        Files.createDirectories(sandbox.resolve("scripts"));
        for (String script : List.of("build-native", "build-native-builder")) {
            Files.copy(REPO.resolve("scripts").resolve(script), sandbox.resolve("scripts").resolve(script));
        }
        copyTree(REPO.resolve("native-image/src/main/c"), sandbox.resolve("native-image/src/main/c"));
        copyTree(libs, sandbox.resolve("launcher/target/lib"));
        zip(sandbox.resolve("launcher/target/launcher-0.1.0-SNAPSHOT.jar"), "dev/bulwark/Launcher.class");
        zip(sandbox.resolve("native-image/target/native-image-0.1.0-SNAPSHOT.jar"), "dev/bulwark/nativeimage/NativeMain.class");
        arguments = sandbox.resolve("native-image-arguments");
    }

    @Test
    void aGraalVmInGraalvmHomeBuildsTheImageWithTheOptionsItNeeds() throws Exception {
        Path home = fakeNativeImage("graalvm", """
                printf '%s\\n' "$@" > ARGS
                while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
                printf '#!/bin/sh\\necho "{}"\\n' > "$out" && chmod 755 "$out"
                """);
        Result result = buildNative(Map.of("GRAALVM_HOME", home.toString()));
        assertEquals(0, result.status(), result.stderr());
        assertTrue(result.stderr().contains(WHY_PREFIX + home.resolve("bin/native-image")), result.stderr());
        List<String> passed = Files.readAllLines(arguments);
        for (String needed : List.of("-march=compatibility", "--no-fallback", "--features=" + BulwarkFeature.class.getName(),
                "-R:MaxNewSize=32m", "-R:MaxHeapFree=1", "-H:-ParseRuntimeOptions", "-H:-ReduceCodeSize",
                "-H:+RelativeCodePointers", NativeMain.class.getName(), "-cp", "-o")) {
            assertTrue(passed.contains(needed), needed + " not passed to native-image: " + passed);
        }
        assertTrue(passed.stream().anyMatch(a -> a.startsWith("-H:NativeLinkerOption=-Wl,-rpath,$ORIGIN/lib")), passed.toString());
        Path built = sandbox.resolve("launcher/target/native");
        assertTrue(Files.isExecutable(built.resolve("bulwark")), "the image was not moved into place");
        assertTrue(Files.isRegularFile(built.resolve("lib/libjffi-1.2.so")), "jffi's library does not ship beside it");
        assertTrue(result.stderr().contains(WHY_PREFIX + "ready: "), result.stderr());
    }

    @Test
    void aGraalVmOnPathIsUsedWhenGraalvmHomeIsUnset() throws Exception {
        Path home = fakeNativeImage("onpath", "printf '%s\\n' \"$@\" > ARGS; exit 3\n");
        Result result = buildNative(Map.of("PATH", home.resolve("bin") + ":/usr/bin:/bin"));
        assertEquals(1, result.status(), result.stderr());
        assertTrue(Files.exists(arguments), "the native-image on PATH was not run");
        assertOneReason(result, "native-image failed (see ");
    }

    @Test
    void aFailingGraalVmLeavesTheJvmLauncherWithOneLine() throws Exception {
        Path home = fakeNativeImage("broken", "echo 'fatal: out of memory' >&2; exit 3\n");
        Path previous = sandbox.resolve("launcher/target/native/bulwark");
        Files.createDirectories(previous.getParent());
        Files.writeString(previous, "an older image");
        Result result = buildNative(Map.of("GRAALVM_HOME", home.toString()));
        assertEquals(1, result.status(), result.stderr());
        assertOneReason(result, "native-image failed (see ");
        assertFalse(Files.exists(previous), "a stale native launcher would still be run by bin/bulwark");
        assertFalse(result.stderr().contains("out of memory"), "the builder's own output goes to the log, not the terminal");
    }

    @Test
    void withoutGraalVmOrTemurin25OneLineSaysWhy() throws Exception {
        Result result = buildNative(Map.of("BULWARK_NATIVE_JDK", sandbox.resolve("no-jdk").toString()));
        assertEquals(1, result.status(), result.stderr());
        assertOneReason(result, "no GraalVM native-image (PATH, GRAALVM_HOME) and no Temurin 25 at " + sandbox.resolve("no-jdk"));
    }

    private static void assertOneReason(Result result, String reason) {
        List<String> lines = result.stderr().lines().filter(line -> line.endsWith(KEEPING_JVM)).toList();
        assertEquals(1, lines.size(), "one line saying why, got: " + result.stderr());
        assertTrue(lines.get(0).startsWith(WHY_PREFIX) && lines.get(0).contains(reason), lines.get(0));
    }

    /** A GraalVM home whose bin/native-image runs {@code body} (ARGS: where it may record its arguments). */
    private Path fakeNativeImage(String name, String body) throws IOException {
        Path bin = Files.createDirectories(sandbox.resolve(name).resolve("bin"));
        Path program = bin.resolve("native-image");
        Files.writeString(program, "#!/bin/sh\n" + body.replace("ARGS", "'" + arguments + "'"));
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin.getParent();
    }

    private record Result(int status, String stderr) {
    }

    private Result buildNative(Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", sandbox.resolve("scripts/build-native").toString());
        builder.environment().remove("GRAALVM_HOME");
        builder.environment().put("PATH", "/usr/bin:/bin");
        builder.environment().put("XDG_CACHE_HOME", sandbox.resolve("cache").toString());
        builder.environment().putAll(environment);
        builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "scripts/build-native did not finish");
        return new Result(process.exitValue(), stderr);
    }

    private static boolean hasJffiNative(Path libs) throws IOException {
        try (Stream<Path> files = Files.list(libs)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("jffi-.*-native\\.jar"));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(from)) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path file : files) {
            Path target = to.resolve(from.relativize(file).toString());
            Files.createDirectories(target.getParent());
            Files.copy(file, target);
        }
    }

    private static void zip(Path jar, String entry) throws IOException {
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(entry));
            zip.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
            zip.closeEntry();
        }
    }
}
