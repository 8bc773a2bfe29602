package dev.bulwark.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.CgroupPlanner;
import dev.bulwark.launcher.cgroup.ResourceTranslator;
import dev.bulwark.launcher.setup.ChildProgram;
import dev.bulwark.launcher.setup.ChildSteps;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.runtime.LaunchPlan;
import dev.bulwark.launcher.seccomp.DefaultSeccompProfile;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.nativ.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutated configs (keys deleted, values nulled, of the wrong type, huge, negative, empty, with NUL, an
 * unpaired surrogate, "..", very long; array entries duplicated) go through everything a launch does
 * before clone: parse, validate, plan (id maps, bundle root) and compile the child's syscall table. Each
 * either passes or fails with one line naming the field, never with another exception.
 */
class ConfigMutationProperties {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Path SAMPLES = Path.of("../config-schema/src/test/resources/dev/bulwark/config");
    /** The mapping this launch allows: a range as root, the caller's own id rootless. */
    private static final String ID_MAPPING = "[{\"containerID\": 0, \"hostID\": %d, \"size\": " + (Syscalls.geteuid() == 0 ? 65536 : 1) + "}]";
    private static final List<String> BASES = bases();
    private static Path bundle;

    @BeforeContainer
    static void makeBundle() throws IOException {
        bundle = Files.createTempDirectory("bulwark-config-properties");
        for (String dir : List.of("rootfs/bin", "rootfs/proc", "rootfs/dev", "rootfs/sys", "rootfs/tmp", "rootfs/etc")) {
            Files.createDirectories(bundle.resolve(dir));
        }
        Files.writeString(bundle.resolve("rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    }

    @AfterContainer
    static void removeBundle() throws IOException {
        try (Stream<Path> walk = Files.walk(bundle)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 400)
    void mutatedConfigPlansOrFailsWithOneCleanLine(@ForAll @IntRange(min = 0, max = 63) int base, @ForAll long seed,
                                                   @ForAll @IntRange(min = 1, max = 3) int mutations) throws Exception {
        Random random = new Random(seed);
        ObjectNode config = (ObjectNode) JSON.readTree(BASES.get(base % BASES.size()));
        List<String> applied = new ArrayList<>();
        for (int i = 0; i < mutations; i++) {
            applied.add(mutate(config, random));
        }
        String json = JSON.writeValueAsString(config);
        String context = ErrorReporter.oneLine("sample " + (base % BASES.size()) + " with " + applied);
        long childrenBefore = ProcessHandle.current().children().count();
        try {
            plan(json);
        } catch (LaunchException | SpecParseException | CgroupException e) {
            CleanErrors.assertCleanFieldError(ErrorReporter.oneLine(e.getMessage()), context);
        } catch (RuntimeException | Error e) {
            throw new AssertionError("not a one-line input error for " + context + ":\n" + json, e);
        }
        assertEquals(childrenBefore, ProcessHandle.current().children().count(), "a child process was left behind");
    }

    /**
     * {@code seccomp show} and {@code compile --config} read a config without validating the rest of it: a
     * mutated config (the samples with a seccomp policy) compiles or fails with one line, exit 125.
     */
    @Property(tries = 200)
    void mutatedSeccompConfigCompilesOrFailsWithOneCleanLine(@ForAll @IntRange(min = 0, max = 63) int base, @ForAll long seed,
                                                             @ForAll @IntRange(min = 1, max = 3) int mutations) throws Exception {
        List<String> withSeccomp = BASES.stream().filter(b -> b.contains("\"seccomp\"")).toList();
        Random random = new Random(seed);
        ObjectNode config = (ObjectNode) JSON.readTree(withSeccomp.get(base % withSeccomp.size()));
        List<String> applied = new ArrayList<>();
        for (int i = 0; i < mutations; i++) {
            applied.add(mutate(config, random));
        }
        Path file = bundle.resolve("seccomp-config.json");
        // \\u escapes, so an unpaired surrogate reaches the file as JSON allows it
        Files.write(file, JSON.writer().with(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).writeValueAsBytes(config));
        String context = ErrorReporter.oneLine("seccomp sample " + (base % withSeccomp.size()) + " with " + applied);
        for (String command : List.of("show", "compile")) {
            CommandLineMutationProperties.Run run = CommandLineMutationProperties.runInProcess(
                    List.of("seccomp", command, "--arch", "x86_64", "--config", file.toString()));
            if (run.exit() != 0) {
                assertEquals(125, run.exit(), () -> context + ":\n" + run.stderr());
                List<String> lines = run.errorLines();
                assertEquals(1, lines.size(), () -> "not one line for " + context + ":\n" + run.stderr());
                CleanErrors.assertCleanFieldError(lines.get(0).substring("bulwark: ".length()), context);
            }
        }
    }

    /** Unmutated, every base gets through the whole plan: the mutations start from configs that would launch. */
    @Example
    void everyBasePlans() throws Exception {
        for (String base : BASES) {
            try {
                plan(base);
            } catch (CgroupException e) {
                // the cgroup planner, the last step, found limits this host cannot apply: a host matter
            }
        }
    }

    /** Everything up to, not including, clone: what ContainerRun does before it claims state or a cgroup. */
    private static void plan(String json) throws SpecParseException, CgroupException {
        Spec parsed = SpecParser.parse(json);
        int euid = Syscalls.geteuid();
        RunRequest request = new RunRequest(parsed, bundle, "properties", false, bundle.resolve("state"), false,
                new dev.bulwark.config.model.LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START,
                        DefaultsOptions.DEFAULT_ID_RANGE_SIZE), null);
        LaunchPlan plan = LaunchPlan.of(request, euid, Syscalls.getegid());
        Spec spec = plan.spec();
        if (spec.linux().resources() != null) {
            ResourceTranslator.translate(spec.linux().resources());
        }
        ChildProgram.cloneFlags(spec);
        ContainerContext context = new ContainerContext("properties", spec, bundle, plan.bundleRootfs(), false,
                euid != 0, euid, Syscalls.getegid(), List.of());
        ChildProgram.Pipes pipes = new ChildProgram.Pipes(3, 4, 5, 6, -1, -1);
        ChildSteps steps = ChildProgram.compile(context, pipes, plan.idMaps().setgroupsAllowed());
        steps.table().close();
        // Last, as it depends on the host: a sample's explicit limits may be more than this host can apply.
        CgroupPlanner.plan("properties", spec.linux().resources(), spec.linux().cgroupsPath(), euid != 0, false); // reads only
    }

    // ---- mutations ---------------------------------------------------------------------------

    /** A place in the tree: an object's field or an array's element. */
    private record Slot(JsonNode container, String field, int index, String path) {
        JsonNode value() {
            return field != null ? container.get(field) : container.get(index);
        }

        void set(JsonNode value) {
            if (field != null) {
                ((ObjectNode) container).set(field, value);
            } else {
                ((ArrayNode) container).set(index, value);
            }
        }

        void remove() {
            if (field != null) {
                ((ObjectNode) container).remove(field);
            } else {
                ((ArrayNode) container).remove(index);
            }
        }
    }

    private static final String LONG = "a".repeat(10_000);
    private static final List<JsonNode> WRONG_TYPES = List.of(NODES.numberNode(7), NODES.booleanNode(true),
            NODES.textNode("x"), NODES.arrayNode(), NODES.objectNode(), NODES.numberNode(1.5), NODES.textNode("7"));
    private static final List<JsonNode> HUGE = List.of(NODES.numberNode(new BigInteger("18446744073709551616")),
            NODES.numberNode(new BigInteger("9223372036854775808")), NODES.numberNode(4294967296L),
            NODES.numberNode(Long.MAX_VALUE), NODES.numberNode(1e308), NODES.numberNode(new BigInteger("1" + "0".repeat(400))));
    private static final List<JsonNode> NEGATIVE = List.of(NODES.numberNode(-1), NODES.numberNode(-4294967297L),
            NODES.numberNode(Long.MIN_VALUE), NODES.numberNode(0));
    private static final List<JsonNode> ODD_STRINGS = List.of(NODES.textNode(""), NODES.textNode("a\u0000b"),
            NODES.textNode("/\u0000"), NODES.textNode("\ud800"), NODES.textNode("/x\udc00y"), NODES.textNode(".."),
            NODES.textNode("../../etc"), NODES.textNode("/../../etc/shadow"), NODES.textNode("/a/../.."),
            NODES.textNode(LONG), NODES.textNode("/" + "a/".repeat(3000)), NODES.textNode(" "), NODES.textNode("relative"),
            NODES.textNode("/"), NODES.textNode("rw,nosuid"), NODES.textNode("a\nb"), NODES.textNode("\u00e9\u4e2d"));

    private static String mutate(ObjectNode root, Random random) {
        List<Slot> slots = new ArrayList<>();
        collect(root, "", slots);
        if (slots.isEmpty()) {
            return "nothing to mutate";
        }
        Slot slot = slots.get(random.nextInt(slots.size()));
        int kind = random.nextInt(8);
        JsonNode replacement;
        switch (kind) {
            case 0 -> {
                slot.remove();
                return "delete " + slot.path;
            }
            case 1 -> replacement = NODES.nullNode();
            case 2 -> replacement = pick(WRONG_TYPES, random);
            case 3 -> replacement = pick(HUGE, random);
            case 4 -> replacement = pick(NEGATIVE, random);
            case 5, 6 -> replacement = pick(ODD_STRINGS, random);
            default -> {
                List<Slot> arrays = slots.stream().filter(s -> s.value().isArray() && !s.value().isEmpty()).toList();
                if (arrays.isEmpty()) {
                    replacement = NODES.nullNode();
                } else {
                    ArrayNode array = (ArrayNode) pick(arrays, random).value();
                    JsonNode entry = array.get(random.nextInt(array.size()));
                    array.add(entry.deepCopy());
                    return "duplicate an entry of " + arrays.stream().filter(s -> s.value() == array).findFirst().get().path;
                }
            }
        }
        slot.set(replacement);
        String shown = replacement.toString();
        return "set " + slot.path + " = " + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown);
    }

    private static void collect(JsonNode node, String path, List<Slot> slots) {
        if (node.isObject()) {
            for (var it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String child = path + "/" + field.getKey();
                slots.add(new Slot(node, field.getKey(), -1, child));
                collect(field.getValue(), child, slots);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String child = path + "/" + i;
                slots.add(new Slot(node, null, i, child));
                collect(node.get(i), child, slots);
            }
        }
    }

    private static <T> T pick(List<T> values, Random random) {
        return values.get(random.nextInt(values.size()));
    }

    /** The sample configs, the runc specs and what {@code bulwark spec} writes, each with its root in the test bundle. */
    private static List<String> bases() {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SAMPLES)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                texts.add(Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        texts.add(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.root())));
        Spec hardened = HardenedDefaults.spec(DefaultsOptions.root()); // and with the policy it gets by default, spelled out
        texts.add(SpecWriter.toJson(hardened.withLinux(hardened.linux().withSeccomp(
                DefaultSeccompProfile.forContainer(java.util.Set.of(), dev.bulwark.nativ.Arch.X86_64)))));
        texts.add(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.rootless(Syscalls.geteuid(), Syscalls.getegid()))));
        List<String> launchable = new ArrayList<>();
        for (String text : texts) {
            try {
                ObjectNode config = (ObjectNode) JSON.readTree(text);
                makeLaunchableHere(config);
                launchable.add(JSON.writeValueAsString(config));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.copyOf(launchable);
    }

    /**
     * Edits a sample so that, unmutated, it plans on this host in this mode: its root and bind sources in
     * the test bundle, id mappings (and, rootless, a user) this launcher may write, no LSM labels (the host may lack the LSM), and
     * no ambient capabilities (runc's sample lists some that are not inheritable, which Bulwark refuses,
     * as the kernel would).
     */
    private static void makeLaunchableHere(ObjectNode config) throws IOException {
        config.remove("hooks"); // run by the launcher around the launch, not part of the planned table (HooksTest)
        if (config.get("root") instanceof ObjectNode root) {
            root.put("path", "rootfs");
        }
        if (config.get("process") instanceof ObjectNode process) {
            process.remove(List.of("apparmorProfile", "selinuxLabel"));
            if (Syscalls.geteuid() != 0 && process.get("user") instanceof ObjectNode user) {
                user.put("uid", 0).put("gid", 0).remove("additionalGids"); // rootless maps container root only
            }
            if (process.get("capabilities") instanceof ObjectNode capabilities) {
                capabilities.remove("ambient");
            }
        }
        if (config.get("mounts") instanceof ArrayNode mounts) {
            for (JsonNode mount : mounts) {
                String source = mount.path("source").asText();
                if (source.startsWith("/") && !Files.exists(Path.of(source))) {
                    ((ObjectNode) mount).put("source", "rootfs/tmp");
                }
            }
        }
        if (config.get("linux") instanceof ObjectNode linux) {
            linux.remove(List.of("mountLabel", "timeOffsets")); // timeOffsets: refused in one line (UnsupportedFields)
            if (linux.get("namespaces") instanceof ArrayNode namespaces) {
                for (JsonNode namespace : namespaces) {
                    ((ObjectNode) namespace).remove("path"); // a namespace to join must exist on this host
                }
            }
            if (linux.has("uidMappings")) {
                boolean root = Syscalls.geteuid() == 0;
                linux.set("uidMappings", JSON.readTree(ID_MAPPING.formatted(root ? 1_000_000_000 : Syscalls.geteuid())));
                linux.set("gidMappings", JSON.readTree(ID_MAPPING.formatted(root ? 1_000_000_000 : Syscalls.getegid())));
            }
        }
    }
}
