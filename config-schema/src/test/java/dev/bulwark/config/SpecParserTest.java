package dev.bulwark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.LinuxSeccompArg;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpecParserTest {

    private static final String RUNC = "runc/runc-spec.json";
    private static final String RUNC_ROOTLESS = "runc/runc-spec-rootless.json";

    @Test
    void parsesRuncSpec() throws Exception {
        Spec spec = SpecParser.parse(TestResources.text(RUNC));

        assertEquals("1.0.2-dev", spec.ociVersion());
        assertEquals(Boolean.TRUE, spec.process().terminal());
        assertEquals(0L, spec.process().user().uid());
        assertEquals(List.of("sh"), spec.process().args());
        assertEquals("/", spec.process().cwd());
        assertEquals(List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
                spec.process().capabilities().bounding());
        assertEquals(List.of(), spec.process().capabilities().inheritable(), "absent set reads as empty");
        assertEquals("RLIMIT_NOFILE", spec.process().rlimits().get(0).type());
        assertEquals(1024L, spec.process().rlimits().get(0).hard());
        assertEquals(Boolean.TRUE, spec.root().readonly());
        assertEquals("runc", spec.hostname());
        assertEquals(7, spec.mounts().size());
        Mount devPts = spec.mounts().get(2);
        assertEquals("/dev/pts", devPts.destination());
        assertTrue(devPts.options().contains("gid=5"));
        assertEquals(List.of(), spec.mounts().get(0).options(), "absent options read as empty");
        assertFalse(spec.linux().resources().devices().get(0).allow());
        assertEquals("rwm", spec.linux().resources().devices().get(0).access());
        assertNull(spec.linux().resources().memory(), "absent object stays null");
        assertTrue(spec.linux().hasNamespace("pid"));
        assertFalse(spec.linux().hasNamespace("user"));
        assertEquals(10, spec.linux().maskedPaths().size());
        assertEquals(5, spec.linux().readonlyPaths().size());
        assertNull(spec.linux().seccomp());
        assertNull(spec.domainname());
        assertTrue(spec.annotations().isEmpty());
    }

    @Test
    void parsesRuncRootlessSpec() throws Exception {
        Spec spec = SpecParser.parse(TestResources.text(RUNC_ROOTLESS));

        assertTrue(spec.linux().hasNamespace("user"));
        assertEquals(1, spec.linux().uidMappings().size());
        LinuxIdMapping uid = spec.linux().uidMappings().get(0);
        assertEquals(0L, uid.containerId());
        assertEquals(1L, uid.size());
        Mount sys = spec.mounts().stream().filter(m -> m.destination().equals("/sys")).findFirst().orElseThrow();
        assertEquals("none", sys.type());
        assertTrue(sys.options().contains("rbind"));
    }

    @ParameterizedTest
    @ValueSource(strings = {RUNC, RUNC_ROOTLESS})
    void roundTripsRuncSpecsLosslessly(String resource) throws Exception {
        String original = TestResources.text(resource);
        Spec spec = SpecParser.parse(original);
        String written = SpecWriter.toJson(spec);

        assertEquals(spec, SpecParser.parse(written));
        // Same JSON tree, except that we always spell out every capability set.
        ObjectMapper plain = new ObjectMapper();
        JsonNode expected = plain.readTree(original);
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected.path("process").path("capabilities"))
                .putArray("inheritable");
        assertEquals(expected, plain.readTree(written));
    }

    @Test
    void writesFieldsInSpecOrder() throws Exception {
        String written = SpecWriter.toJson(SpecParser.parse(TestResources.text(RUNC)));
        assertTrue(written.indexOf("\"ociVersion\"") < written.indexOf("\"process\""));
        assertTrue(written.indexOf("\"process\"") < written.indexOf("\"root\""));
        assertTrue(written.indexOf("\"root\"") < written.indexOf("\"hostname\""));
        assertTrue(written.indexOf("\"mounts\"") < written.indexOf("\"linux\""));
        assertTrue(written.indexOf("\"destination\"") < written.indexOf("\"type\" : \"proc\""));
        assertTrue(written.indexOf("\"resources\"") < written.indexOf("\"namespaces\""));
        assertFalse(written.contains("null"));
    }

    @Test
    void ignoresUnknownProperties() throws Exception {
        Spec spec = SpecParser.parse("""
                {"ociVersion": "1.2.0", "futureField": {"x": [1, 2]},
                 "process": {"user": {"uid": 1, "gid": 2, "newThing": true}, "cwd": "/", "args": ["a"],
                             "execCPUAffinity": {"initial": "0"}},
                 "linux": {"namespaces": [{"type": "pid", "extra": 1}], "memoryPolicy": {}}}
                """);
        assertEquals(1L, spec.process().user().uid());
        assertTrue(spec.linux().hasNamespace("pid"));
    }

    @Test
    void seccompValuesCoverTheFullUint64Range() throws Exception {
        Spec spec = SpecParser.parse("""
                {"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 18446744073709551615, "valueTwo": 9223372036854775808, "op": "SCMP_CMP_MASKED_EQ"},
                    {"index": 1, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]}}}
                """);
        List<LinuxSeccompArg> args = spec.linux().seccomp().syscalls().get(0).args();
        assertEquals(-1L, args.get(0).value());
        assertEquals(Long.MIN_VALUE, args.get(0).valueTwo());
        assertEquals(4294967295L, args.get(1).value());
        assertEquals(0L, args.get(1).valueTwo(), "absent valueTwo is 0");

        String written = SpecWriter.toJson(spec);
        assertTrue(written.contains("\"value\" : 18446744073709551615"), written);
        assertTrue(written.contains("\"valueTwo\" : 9223372036854775808"), written);
        assertEquals(spec, SpecParser.parse(written));
    }

    @Test
    void rlimitInfinityIsUint64() throws Exception {
        Spec spec = SpecParser.parse("""
                {"ociVersion": "1.2.0", "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["a"],
                  "rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}]}}
                """);
        assertEquals(-1L, spec.process().rlimits().get(0).hard());
    }

    @ParameterizedTest
    @ValueSource(strings = {"18446744073709551616", "-1", "1.5", "\"7\""})
    void rejectsSeccompValuesOutsideUint64(String value) {
        String json = """
                {"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["x"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": %s, "op": "SCMP_CMP_EQ"}]}]}}}
                """.formatted(value);
        SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse(json));
        assertTrue(e.getMessage().contains("linux.seccomp.syscalls[0].args[0].value: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void parsesFilesAndNamesThemInErrors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path good = java.nio.file.Files.writeString(dir.resolve("config.json"), TestResources.text(RUNC));
        assertEquals(SpecParser.parse(TestResources.text(RUNC)), SpecParser.parse(good));
        java.nio.file.Path bad = java.nio.file.Files.writeString(dir.resolve("bad.json"), "{\"ociVersion\": }");
        SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse(bad));
        assertTrue(e.getMessage().startsWith(bad + ":1:"), e.getMessage());
    }

    @Test
    void nullSeccompValueIsRejected() {
        assertThrows(SpecParseException.class, () -> SpecParser.parse("""
                {"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["x"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": null, "op": "SCMP_CMP_EQ"}]}]}}}
                """));
    }

    @Test
    void syntaxErrorIsOneLineWithLineAndColumn() {
        SpecParseException e = assertThrows(SpecParseException.class,
                () -> SpecParser.parse("{\n  \"ociVersion\": \"1.2.0\",\n  \"hostname\": oops\n}"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith("config.json:3:"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingRequiredScalarIsAParseErrorNotZero() {
        SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse("""
                {"ociVersion": "1.2.0", "process": {"user": {"gid": 0}, "cwd": "/", "args": ["a"]}}
                """));
        assertTrue(e.getMessage().endsWith("process.user.uid: required"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"ociVersion\": \"1.2.0\", \"mounts\": [\"/tmp\"]}|mounts[0]: expected an object, got a string",
            "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": \"sh\"}}|process.args: expected an array, got a string",
            "{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/x\", \"options\": [true]}]}"
                    + "|mounts[0].options[0]: expected a string, got a boolean",
            "{\"ociVersion\": \"1.2.0\", \"process\": {\"user\": {\"uid\": \"0\", \"gid\": 0}}}"
                    + "|process.user.uid: expected an integer, got a string",
            "{\"ociVersion\": 7}|ociVersion: expected a string, got an integer",
            "{\"ociVersion\": \"1.2.0\", \"linux\": {\"namespaces\": 1.5}}|linux.namespaces: expected an array, got a number with a fraction"})
    void wrongTypesAreNamedInJsonTermsNotJavaTypes(String caseAndMessage) {
        String[] parts = caseAndMessage.split("\\|");
        SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse(parts[0]));
        assertTrue(e.getMessage().endsWith(": " + parts[1]), e.getMessage());
        assertFalse(e.getMessage().matches(".*(java\\.|dev\\.bulwark|`).*"), e.getMessage());
    }

    @Test
    void oversizedNumbersAndNestingAreOneLineWithoutJavaNames() {
        String longNumber = "{\"ociVersion\": \"1.2.0\", \"process\": {\"user\": {\"uid\": " + "9".repeat(2000) + "}}}";
        String deep = "{\"ociVersion\": \"1.2.0\", \"unknown\": " + "[".repeat(3000) + "]".repeat(3000) + "}";
        for (String json : List.of(longNumber, deep)) {
            SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse(json));
            assertFalse(e.getMessage().matches("(?s).*(java\\.|dev\\.bulwark|`|StreamReadConstraints|\n).*"), e.getMessage());
            assertTrue(e.getMessage().contains("exceeds the maximum allowed (1000)"), e.getMessage());
        }
    }

    @Test
    void wrongTypeNamesThePath() {
        SpecParseException e = assertThrows(SpecParseException.class, () -> SpecParser.parse("""
                {"ociVersion": "1.2.0", "linux": {"namespaces": [{"type": "pid"}, {"type": 7}]}}
                """));
        assertTrue(e.getMessage().startsWith("config.json:1:"), e.getMessage());
        assertTrue(e.getMessage().contains("linux.namespaces[1].type: "), e.getMessage());
    }

    @Test
    void rejectsDuplicateKeysNullElementsAndTrailingGarbage() {
        assertThrows(SpecParseException.class, () -> SpecParser.parse("{\"ociVersion\": \"1\", \"ociVersion\": \"2\"}"));
        assertThrows(SpecParseException.class, () -> SpecParser.parse("{\"ociVersion\": \"1\", \"mounts\": [null]}"));
        assertThrows(SpecParseException.class, () -> SpecParser.parse("{\"ociVersion\": \"1\"} {}"));
        assertThrows(SpecParseException.class, () -> SpecParser.parse("null"));
        assertThrows(SpecParseException.class, () -> SpecParser.parse("{\"process\": {\"user\": {\"uid\": \"0\", \"gid\": 0}}}"));
    }
}
