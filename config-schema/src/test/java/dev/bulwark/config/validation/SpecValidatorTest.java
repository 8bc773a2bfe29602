package dev.bulwark.config.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.JsonEdit;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.TestResources;
import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpecValidatorTest {

    /** A valid spec to break one rule at a time: Bulwark's hardened default. */
    private static JsonEdit base() {
        return JsonEdit.of(SpecWriter.toJson(HardenedDefaults.spec(DefaultsOptions.root())));
    }

    private static List<String> problemsOf(String json) throws Exception {
        return SpecValidator.validate(SpecParser.parse(json)).stream().map(Problem::toString).toList();
    }

    private static Arguments rule(UnaryOperator<JsonEdit> edit, String first, String... more) {
        List<String> expected = Stream.concat(Stream.of(first), Stream.of(more)).toList();
        return Arguments.of(first, edit, expected);
    }

    private static Arguments accepted(String description, UnaryOperator<JsonEdit> edit) {
        return Arguments.of("accepts " + description, edit, List.of());
    }

    static Stream<Arguments> rules() {
        return Stream.of(
                // top level
                rule(e -> e.remove("/ociVersion"), "ociVersion: required"),
                rule(e -> e.set("/ociVersion", "\"1.2\""), "ociVersion: \"1.2\" is not a semantic version like \"1.2.0\""),
                rule(e -> e.set("/ociVersion", "\"2.0.0\""), "ociVersion: unsupported major version 2 (expected 1.x.y)"),
                rule(e -> e.remove("/root"), "root: required"),
                rule(e -> e.set("/root/path", "\"\""), "root.path: required"),
                rule(e -> e.remove("/process"), "process: required"),
                rule(e -> e.remove("/linux/namespaces/3"), "hostname: requires a uts namespace"),
                rule(e -> e.set("/hostname", "\"bad_host\""), "hostname: \"bad_host\" is not a valid host name"),
                rule(e -> e.set("/hostname", "\"" + "a".repeat(65) + "\""), "hostname: must be at most 64 characters"),
                rule(e -> e.set("/domainname", "\"example.org\"").remove("/linux/namespaces/3"),
                        "hostname: requires a uts namespace", "domainname: requires a uts namespace"),
                // process
                rule(e -> e.set("/process/args", "[]"), "process.args: must not be empty"),
                rule(e -> e.set("/process/args", "[\"\"]"), "process.args[0]: must not be empty"),
                rule(e -> e.set("/process/args/-", "\"a\\u0000b\""), "process.args[1]: must not contain NUL"),
                // any string: no NUL (C strings end there), valid Unicode (an unpaired surrogate has no UTF-8 form)
                rule(e -> e.set("/root/path", "\"root\\u0000fs\""), "root.path: must not contain NUL"),
                rule(e -> e.set("/root/path", "\"root\\ud800fs\""),
                        "root.path: is not valid Unicode (an unpaired surrogate such as \\ud800 has no UTF-8 form)"),
                rule(e -> e.set("/mounts/0/source", "\"pro\\u0000c\""), "mounts[0].source: must not contain NUL"),
                rule(e -> e.set("/linux/maskedPaths/0", "\"/x\\udc00\""),
                        "linux.maskedPaths[0]: is not valid Unicode (an unpaired surrogate such as \\ud800 has no UTF-8 form)"),
                rule(e -> e.set("/annotations", "{\"a\\u0000\": \"x\"}"), "annotations[\"a\\u0000\"]: must not contain NUL"),
                // required names that are missing
                rule(e -> e.set("/linux/namespaces/1/type", "null"), "linux.namespaces[1].type: required"),
                rule(e -> e.set("/process/rlimits/0/type", "null"), "process.rlimits[0].type: required"),
                rule(e -> e.set("/process/cwd", "\"work\""), "process.cwd: must be absolute"),
                rule(e -> e.remove("/process/cwd"), "process.cwd: required"),
                rule(e -> e.remove("/process/user"), "process.user: required"),
                rule(e -> e.set("/process/user/uid", "4294967296"), "process.user.uid: must be between 0 and 4294967295"),
                rule(e -> e.set("/process/user/umask", "512"), "process.user.umask: must be between 0 and 0777 (511)"),
                rule(e -> e.set("/process/user/additionalGids", "[5, -1]"),
                        "process.user.additionalGids[1]: must be between 0 and 4294967295"),
                rule(e -> e.set("/process/env/-", "\"NOVALUE\""), "process.env[2]: must be KEY=VALUE"),
                rule(e -> e.set("/process/env/-", "\"=x\""), "process.env[2]: must be KEY=VALUE"),
                rule(e -> e.set("/process/capabilities/bounding", "[\"CAP_FOO\"]"),
                        "process.capabilities.bounding[0]: unknown capability \"CAP_FOO\""),
                rule(e -> e.set("/process/capabilities/effective", "[\"CAP_CHOWN\"]"),
                        "process.capabilities.effective[0]: \"CAP_CHOWN\" must also be in the permitted set"),
                rule(e -> e.set("/process/rlimits/0/type", "\"RLIMIT_FOO\""),
                        "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""),
                rule(e -> e.set("/process/rlimits/0/soft", "2048"),
                        "process.rlimits[0].soft: must not exceed hard (2048 > 1024)"),
                rule(e -> e.set("/process/rlimits/0/soft", "18446744073709551615"),
                        "process.rlimits[0].soft: must not exceed hard (18446744073709551615 > 1024)"),
                rule(e -> e.set("/process/rlimits/-", "{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1}"),
                        "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""),
                rule(e -> e.set("/process/oomScoreAdj", "1001"), "process.oomScoreAdj: must be between -1000 and 1000"),
                rule(e -> e.set("/process/scheduler", "{\"policy\": \"SCHED_FOO\"}"),
                        "process.scheduler.policy: unknown policy \"SCHED_FOO\""),
                rule(e -> e.set("/process/scheduler", "{\"policy\": \"SCHED_FIFO\", \"priority\": 0}"),
                        "process.scheduler.priority: must be between 1 and 99"),
                rule(e -> e.set("/process/scheduler", "{\"policy\": \"SCHED_DEADLINE\", \"runtime\": 10, \"deadline\": 5}"),
                        "process.scheduler: SCHED_DEADLINE requires runtime <= deadline <= period"),
                rule(e -> e.set("/process/ioPriority", "{\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 8}"),
                        "process.ioPriority.priority: must be between 0 and 7"),
                // mounts and hooks
                rule(e -> e.set("/mounts/2/destination", "\"dev/pts\""), "mounts[2].destination: must be absolute"),
                rule(e -> e.set("/mounts/2/destination", "\"/dev/../etc\""), "mounts[2].destination: must not contain \"..\""),
                rule(e -> e.set("/mounts/-", "{\"destination\": \"/data\", \"type\": \"bind\", \"options\": [\"rbind\"]}"),
                        "mounts[7].source: required for a bind mount"),
                rule(e -> e.set("/mounts/0/uidMappings", "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"),
                        "mounts[0].gidMappings: required when uidMappings is set"),
                rule(e -> e.set("/hooks/prestart", "[{\"path\": \"hook\"}]"), "hooks.prestart[0].path: must be absolute"),
                rule(e -> e.set("/hooks/createRuntime", "[{\"path\": \"/bin/true\"}, {\"path\": \"bin/hook\"}]"),
                        "hooks.createRuntime[1].path: must be absolute"),
                rule(e -> e.set("/hooks/poststop", "[{\"path\": \"/bin/true\", \"timeout\": 0}]"),
                        "hooks.poststop[0].timeout: must be positive"),
                rule(e -> e.set("/hooks/startContainer", "[{\"path\": \"/bin/true\", \"timeout\": -5}]"),
                        "hooks.startContainer[0].timeout: must be positive"),
                rule(e -> e.set("/hooks/createContainer", "[{\"args\": [\"x\"], \"path\": \"\"}]"),
                        "hooks.createContainer[0].path: required"),
                accepted("every hook kind with path, args, env and a timeout", e -> e.set("/hooks",
                        "{\"prestart\": [{\"path\": \"/bin/true\"}], \"createRuntime\": [{\"path\": \"/bin/true\", \"timeout\": 1}],"
                                + " \"createContainer\": [{\"path\": \"/bin/true\", \"args\": [\"true\", \"x\"]}],"
                                + " \"startContainer\": [{\"path\": \"/bin/true\", \"env\": [\"A=b\"]}],"
                                + " \"poststart\": [{\"path\": \"/bin/true\"}], \"poststop\": [{\"path\": \"/bin/true\"}]}")),
                // namespaces and id mappings
                rule(e -> e.set("/linux/namespaces/1/type", "\"foo\""), "linux.namespaces[1].type: unknown namespace \"foo\""),
                rule(e -> e.set("/linux/namespaces/-", "{\"type\": \"pid\"}"), "linux.namespaces[7].type: duplicate namespace \"pid\""),
                rule(e -> e.set("/linux/namespaces/1/path", "\"proc/1/ns/pid\""), "linux.namespaces[1].path: must be absolute"),
                rule(e -> e.set("/linux/uidMappings/0/size", "0"), "linux.uidMappings[0].size: must be positive"),
                rule(e -> e.set("/linux/uidMappings/-", "{\"containerID\": 100, \"hostID\": 5, \"size\": 1}"),
                        "linux.uidMappings[1]: overlaps linux.uidMappings[0]"),
                rule(e -> e.set("/linux/gidMappings/0/hostID", "4294967295"),
                        "linux.gidMappings[0].size: range extends past 4294967295"),
                rule(e -> e.remove("/linux/namespaces/0"),
                        "linux.uidMappings: requires a user namespace", "linux.gidMappings: requires a user namespace"),
                accepted("a new user namespace without maps (the launcher maps the caller, as crun does)",
                        e -> e.set("/linux/uidMappings", "[]").set("/linux/gidMappings", "[]")),
                // sysctl
                accepted("namespaced sysctls", e -> e.set("/linux/sysctl",
                        "{\"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"1\", \"fs.mqueue.msg_max\": \"1\"}")),
                rule(e -> e.set("/linux/sysctl", "{\"vm.swappiness\": \"0\"}"),
                        "linux.sysctl[\"vm.swappiness\"]: not namespaced; would change the host"),
                rule(e -> e.set("/linux/sysctl", "{\"net..x\": \"1\"}"), "linux.sysctl[\"net..x\"]: not a valid sysctl name"),
                rule(e -> e.set("/linux/sysctl", "{\"net/ipv4/ip_forward\": \"1\"}").remove("/linux/namespaces/5"),
                        "linux.sysctl[\"net/ipv4/ip_forward\"]: requires a network namespace"),
                rule(e -> e.set("/linux/sysctl", "{\"kernel.msgmax\": \"1\"}").remove("/linux/namespaces/4"),
                        "linux.sysctl[\"kernel.msgmax\"]: requires an ipc namespace"),
                // resources
                rule(e -> e.set("/linux/resources/memory/limit", "0"),
                        "linux.resources.memory.limit: must be positive or -1 (unlimited)"),
                accepted("unlimited memory", e -> e.set("/linux/resources/memory/limit", "-1")),
                rule(e -> e.set("/linux/resources/memory/swap", "1024"),
                        "linux.resources.memory.swap: must be at least memory.limit (it limits memory+swap)"),
                rule(e -> e.set("/linux/resources/memory/swappiness", "101"),
                        "linux.resources.memory.swappiness: must be between 0 and 100"),
                rule(e -> e.set("/linux/resources/pids/limit", "-2"),
                        "linux.resources.pids.limit: must be positive or -1 (unlimited)"),
                accepted("pids limit not set (0, as runc and Podman's --pids-limit=-1)", e -> e.set("/linux/resources/pids/limit", "0")),
                accepted("unlimited pids", e -> e.set("/linux/resources/pids/limit", "-1")),
                rule(e -> e.set("/linux/resources/cpu", "{\"quota\": 500, \"period\": 100000}"),
                        "linux.resources.cpu.quota: must be at least 1000 (microseconds) or -1 (unlimited)"),
                rule(e -> e.set("/linux/resources/cpu", "{\"quota\": 50000, \"period\": 100}"),
                        "linux.resources.cpu.period: must be between 1000 and 1000000"),
                rule(e -> e.set("/linux/resources/cpu", "{\"quota\": 50000, \"burst\": 60000}"),
                        "linux.resources.cpu.burst: must not exceed cpu.quota"),
                rule(e -> e.set("/linux/resources/cpu", "{\"shares\": 1}"),
                        "linux.resources.cpu.shares: must be between 2 and 262144"),
                rule(e -> e.set("/linux/resources/cpu", "{\"cpus\": \"0-3,x\"}"),
                        "linux.resources.cpu.cpus: \"0-3,x\" is not a list like \"0-3,7\""),
                rule(e -> e.set("/linux/resources/cpu", "{\"mems\": \"3-1\"}"),
                        "linux.resources.cpu.mems: range \"3-1\" is reversed"),
                rule(e -> e.set("/linux/resources/cpu", "{\"idle\": 2}"), "linux.resources.cpu.idle: must be between 0 and 1"),
                rule(e -> e.set("/linux/resources/blockIO", "{\"weight\": 5}"),
                        "linux.resources.blockIO.weight: must be between 10 and 1000"),
                rule(e -> e.set("/linux/resources/blockIO", "{\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": -1}]}"),
                        "linux.resources.blockIO.throttleReadBpsDevice[0].rate: must not be negative"),
                rule(e -> e.set("/linux/resources/hugepageLimits", "[{\"pageSize\": \"2M\", \"limit\": 0}]"),
                        "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a size like \"2MB\" or \"1GB\" (KB, MB or GB, as in hugetlb.<size>.max)"),
                rule(e -> e.set("/linux/resources/devices/0/access", "\"rwx\""),
                        "linux.resources.devices[0].access: must be a combination of r, w and m"),
                rule(e -> e.set("/linux/resources/unified", "{\"cgroup.procs\": \"1\"}"),
                        "linux.resources.unified[\"cgroup.procs\"]: managed by the runtime; must not be set"),
                rule(e -> e.set("/linux/resources/unified", "{\"../memory.max\": \"1\"}"),
                        "linux.resources.unified[\"../memory.max\"]: not a cgroup v2 interface file name like \"memory.max\" (CONTROLLER.FILE, no path separators)"),
                // devices, paths, misc
                rule(e -> e.set("/linux/devices", "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"minor\": 229}]"),
                        "linux.devices[0].major: required for type \"c\""),
                rule(e -> e.set("/linux/devices", "[{\"path\": \"/dev/x\", \"type\": \"z\"}]"),
                        "linux.devices[0].type: unknown device type \"z\" (expected c, b, u or p)"),
                rule(e -> e.set("/linux/maskedPaths/-", "\"proc/x\""), "linux.maskedPaths[12]: must be absolute"),
                rule(e -> e.set("/linux/readonlyPaths/0", "\"\""), "linux.readonlyPaths[0]: required"),
                rule(e -> e.set("/linux/rootfsPropagation", "\"sideways\""), "linux.rootfsPropagation: unknown propagation \"sideways\""),
                rule(e -> e.set("/linux/cgroupsPath", "\"/../../escape\""), "linux.cgroupsPath: must not contain \"..\""),
                rule(e -> e.set("/linux/personality", "{\"domain\": \"LINUX64\"}"), "linux.personality.domain: unknown domain \"LINUX64\""),
                rule(e -> e.set("/linux/timeOffsets", "{\"monotonic\": {\"secs\": 1}}"), "linux.timeOffsets: requires a time namespace"),
                rule(e -> e.set("/linux/timeOffsets", "{\"realtime\": {\"secs\": 1}}").set("/linux/namespaces/-", "{\"type\": \"time\"}"),
                        "linux.timeOffsets[\"realtime\"]: unknown clock (expected monotonic or boottime)"),
                // seccomp
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_FOO\"}"),
                        "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\""),
                rule(e -> e.set("/linux/seccomp", "{}"), "linux.seccomp.defaultAction: required"),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\", \"Open\", \"\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"),
                        "linux.seccomp.syscalls[0].names[1]: \"Open\" is not a syscall name",
                        "linux.seccomp.syscalls[0].names[2]: \"\" is not a syscall name"),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/run/l.sock\"}"),
                        "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}"),
                        "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]}"),
                        "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\""),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_NOPE\"]}"),
                        "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\""),
                rule(e -> e.set("/linux/seccomp", """
                                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                                  {"names": [], "action": "SCMP_ACT_BOGUS"},
                                  {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_FOO"}]},
                                  {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]}"""),
                        "linux.seccomp.syscalls[0].names: must not be empty",
                        "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BOGUS\"",
                        "linux.seccomp.syscalls[1].args[0].index: must be between 0 and 5",
                        "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_FOO\"",
                        "linux.seccomp.syscalls[2].errnoRet: must be between 0 and 4095"),
                rule(e -> e.set("/linux/seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"),
                        "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void reportsEachRuleWithItsExactMessage(String name, UnaryOperator<JsonEdit> edit, List<String> expected)
            throws Exception {
        assertEquals(expected, problemsOf(edit.apply(base()).json()));
    }

    @Test
    void hardenedDefaultsAreValid() {
        assertEquals(List.of(), SpecValidator.validate(HardenedDefaults.spec(DefaultsOptions.root())));
        assertEquals(List.of(), SpecValidator.validate(HardenedDefaults.spec(DefaultsOptions.rootless(1000, 1000))));
    }

    @Test
    void runcRootlessSpecIsValid() throws Exception {
        assertEquals(List.of(), problemsOf(TestResources.text("/dev/bulwark/config/runc/runc-spec-rootless.json")
                .replace("\"ambient\"", "\"inheritable\"")));
    }

    /** runc and crun raise ambient caps best-effort (the launcher skips those not also inheritable): `runc spec` is valid. */
    @Test
    void runcDefaultAmbientCapsWithoutInheritableAreAccepted() throws Exception {
        assertEquals(List.of(), problemsOf(TestResources.text("/dev/bulwark/config/runc/runc-spec.json")));
    }

    @Test
    void reportsAllProblemsAtOnceInDocumentOrder() throws Exception {
        String json = base()
                .set("/ociVersion", "\"latest\"")
                .set("/process/args", "[]")
                .set("/process/cwd", "\"tmp\"")
                .set("/mounts/2/destination", "\"dev/pts\"")
                .set("/linux/namespaces/1/type", "\"foo\"")
                .set("/linux/resources/memory/limit", "-7")
                .json();
        Spec spec = SpecParser.parse(json);

        ValidationException e = assertThrows(ValidationException.class, () -> SpecValidator.requireValid(spec));
        assertEquals("""
                ociVersion: "latest" is not a semantic version like "1.2.0"
                process.args: must not be empty
                process.cwd: must be absolute
                mounts[2].destination: must be absolute
                linux.namespaces[1].type: unknown namespace "foo"
                linux.resources.memory.limit: must be positive or -1 (unlimited)""", e.getMessage());
        assertEquals(6, e.problems().size());
        assertEquals(new Problem("process.args", "must not be empty"), e.problems().get(1));
    }

    @Test
    void capabilityNumbersFollowTheKernel() {
        assertEquals(0, KnownNames.CAPABILITIES.indexOf("CAP_CHOWN"));
        assertEquals(21, KnownNames.CAPABILITIES.indexOf("CAP_SYS_ADMIN"));
        assertEquals(40, KnownNames.CAPABILITIES.indexOf("CAP_CHECKPOINT_RESTORE"));
        assertTrue(KnownNames.CAPABILITIES.stream().allMatch(c -> c.startsWith("CAP_")));
    }
}
