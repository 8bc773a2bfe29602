package dev.bulwark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.SpecValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks our model, writer and validator against the runtime-spec's official JSON Schema.
 *
 * <p>The schema comes from Debian's {@code golang-github-opencontainers-specs-dev} package, or from
 * the directory in system property {@value #SCHEMA_DIR_PROPERTY}. Without it these tests are
 * skipped, with that reason, rather than passing vacuously.
 */
class SchemaAgreementTest {

    static final String SCHEMA_DIR_PROPERTY = "bulwark.oci.schema.dir";
    static final String DEBIAN_SCHEMA_DIR = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonSchema schema;
    private static String missingReason;

    @BeforeAll
    static void loadSchema() {
        Path dir = Path.of(System.getProperty(SCHEMA_DIR_PROPERTY, DEBIAN_SCHEMA_DIR));
        Path file = dir.resolve("config-schema.json");
        if (!Files.isRegularFile(file)) {
            missingReason = "OCI runtime-spec JSON Schema not found at " + file + ": install Debian package "
                    + "golang-github-opencontainers-specs-dev or set -D" + SCHEMA_DIR_PROPERTY;
            return;
        }
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4)
                .getSchema(SchemaLocation.of(file.toUri().toString()));
    }

    /** Per test, so every test shows up as skipped with the reason instead of vanishing. */
    @BeforeEach
    void requireSchema() {
        Assumptions.assumeTrue(schema != null, missingReason);
    }

    private static Set<ValidationMessage> schemaErrors(String json) throws Exception {
        return schema.validate(JSON.readTree(json));
    }

    private static void assertSchemaAccepts(String json) throws Exception {
        Set<ValidationMessage> errors = schemaErrors(json);
        assertTrue(errors.isEmpty(), () -> "schema rejects:\n" + errors + "\n" + json);
    }

    /** Our own verdict: a parse error or at least one validation problem. */
    private static List<String> ourProblems(String json) {
        try {
            return SpecValidator.validate(SpecParser.parse(json)).stream().map(Object::toString).toList();
        } catch (SpecParseException e) {
            return List.of(e.getMessage());
        }
    }

    // ---- what we write, the schema accepts -------------------------------------------------

    @Test
    void hardenedRootDefaultsMatchSchema() throws Exception {
        assertSchemaAccepts(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.root())));
    }

    @Test
    void hardenedRootlessDefaultsMatchSchema() throws Exception {
        assertSchemaAccepts(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.rootless(1000, 1000))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc/runc-spec.json", "runc/runc-spec-rootless.json", "samples/full.json",
            "samples/minimal.json"})
    void samplesAndTheirRoundTripMatchSchema(String resource) throws Exception {
        String original = TestResources.text(resource);
        assertSchemaAccepts(original);
        Spec spec = SpecParser.parse(original);
        assertSchemaAccepts(SpecWriter.toJson(spec));
    }

    @ParameterizedTest
    @ValueSource(strings = {"samples/full.json", "samples/minimal.json"})
    void samplesAreValidForUsToo(String resource) throws Exception {
        assertEquals(List.of(), ourProblems(TestResources.text(resource)));
    }

    // ---- what the schema rejects, we reject ------------------------------------------------

    private static Arguments breaking(String name, UnaryOperator<JsonEdit> edit) {
        return Arguments.of(name, edit);
    }

    static Stream<Arguments> schemaRejects() {
        return Stream.of(
                breaking("no ociVersion", e -> e.remove("/ociVersion")),
                breaking("ociVersion not a string", e -> e.set("/ociVersion", "1")),
                breaking("unknown namespace", e -> e.set("/linux/namespaces/1/type", "\"foo\"")),
                breaking("mount without destination", e -> e.remove("/mounts/0/destination")),
                breaking("process without cwd", e -> e.remove("/process/cwd")),
                breaking("uid not a number", e -> e.set("/process/user/uid", "\"0\"")),
                breaking("negative uid", e -> e.set("/process/user/uid", "-1")),
                breaking("uid above uint32", e -> e.set("/process/user/uid", "4294967296")),
                breaking("rlimit type without RLIMIT_ prefix", e -> e.set("/process/rlimits/0/type", "\"NOFILE\"")),
                breaking("rlimit without soft", e -> e.remove("/process/rlimits/0/soft")),
                breaking("negative rlimit", e -> e.set("/process/rlimits/0/hard", "-1")),
                breaking("rlimit above uint64", e -> e.set("/process/rlimits/0/hard", "18446744073709551616")),
                breaking("id mapping without size", e -> e.remove("/linux/uidMappings/0/size")),
                breaking("unknown seccomp action", e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_FOO\"}")),
                breaking("unknown seccomp arch", e -> e.set("/linux/seccomp",
                        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_Z80\"]}")),
                breaking("unknown seccomp flag", e -> e.set("/linux/seccomp",
                        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}")),
                breaking("unknown seccomp operator", e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ERRNO\","
                        + " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
                        + " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}")),
                breaking("seccomp value above uint64", e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ERRNO\","
                        + " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\","
                        + " \"args\": [{\"index\": 0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}")),
                breaking("unknown rootfs propagation", e -> e.set("/linux/rootfsPropagation", "\"sideways\"")),
                breaking("device without type", e -> e.set("/linux/devices", "[{\"path\": \"/dev/null\"}]")),
                breaking("hook without path", e -> e.set("/hooks/prestart", "[{\"args\": [\"x\"]}]")),
                breaking("annotation value not a string", e -> e.set("/annotations", "{\"a\": 1}")),
                breaking("args not an array", e -> e.set("/process/args", "\"sh\"")),
                breaking("terminal not a boolean", e -> e.set("/process/terminal", "\"yes\"")),
                breaking("memory limit not an integer", e -> e.set("/linux/resources/memory/limit", "1.5")),
                breaking("pids without limit", e -> e.set("/linux/resources/pids", "{}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemaRejects")
    void whatTheSchemaRejectsWeReject(String name, UnaryOperator<JsonEdit> edit) throws Exception {
        String json = edit.apply(hardenedDefaults()).json();
        assertFalse(schemaErrors(json).isEmpty(), "schema should reject: " + name);
        assertFalse(ourProblems(json).isEmpty(), "we should reject what the schema rejects: " + name);
    }

    // ---- where we are deliberately stricter than the schema --------------------------------

    static Stream<Arguments> strictlyOurs() {
        return Stream.of(
                breaking("unknown capability", e -> e.set("/process/capabilities/bounding", "[\"CAP_FOO\"]")),
                breaking("relative cwd", e -> e.set("/process/cwd", "\"srv\"")),
                breaking("empty args", e -> e.set("/process/args", "[]")),
                breaking("memory limit zero", e -> e.set("/linux/resources/memory/limit", "0")),
                breaking("relative mount destination", e -> e.set("/mounts/0/destination", "\"proc\"")),
                breaking("duplicate namespace", e -> e.set("/linux/namespaces/-", "{\"type\": \"pid\"}")),
                breaking("hostname without uts namespace", e -> e.remove("/linux/namespaces/3")),
                breaking("rlimit soft above hard", e -> e.set("/process/rlimits/0/soft", "4096")),
                breaking("zero-sized id mapping", e -> e.set("/linux/uidMappings/0/size", "0")),
                breaking("host-global sysctl", e -> e.set("/linux/sysctl", "{\"vm.overcommit_memory\": \"1\"}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strictlyOurs")
    void whereWeAreStricterTheSchemaAccepts(String name, UnaryOperator<JsonEdit> edit) throws Exception {
        String json = edit.apply(hardenedDefaults()).json();
        assertSchemaAccepts(json);
        if (ourProblems(json).isEmpty()) {
            fail("we should reject: " + name);
        }
    }

    private static JsonEdit hardenedDefaults() {
        return JsonEdit.of(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.root())));
    }

}
