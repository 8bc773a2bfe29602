package dev.bulwark.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.config.validation.KnownNames;
import dev.bulwark.launcher.seccomp.ArgComparison;
import dev.bulwark.launcher.seccomp.SeccompAction;
import picocli.CommandLine.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code bulwark features}: the runtime-spec features document (what this runtime implements). */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = "Print the runtime-spec features document (JSON): the OCI versions, namespaces, capabilities, "
                + "seccomp actions and architectures, mount options and cgroup support this runtime implements, as "
                + "engines query it from runc.",
        footer = {"", "Examples:",
                "  bulwark features",
                "  bulwark features | jq .linux.namespaces"})
final class FeaturesCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        Map<String, Object> features = new LinkedHashMap<>();
        features.put("ociVersionMin", "1.0.0");
        features.put("ociVersionMax", VersionInfo.SPEC_VERSION);
        features.put("hooks", List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"));
        features.put("mountOptions", List.of("async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "mand",
                "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid",
                "nosymfollow", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
                "runbindable", "rw", "shared", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable"));
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("namespaces", List.of("cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"));
        linux.put("capabilities", KnownNames.CAPABILITIES);
        linux.put("cgroup", Map.of("v1", false, "v2", true, "systemd", false, "systemdUser", false));
        Map<String, Object> seccomp = new LinkedHashMap<>();
        seccomp.put("enabled", true);
        seccomp.put("actions", Arrays.stream(SeccompAction.Kind.values()).map(SeccompAction.Kind::ociName).toList());
        seccomp.put("operators", Arrays.stream(ArgComparison.Op.values()).map(ArgComparison.Op::ociName).toList());
        seccomp.put("archs", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"));
        linux.put("seccomp", seccomp);
        linux.put("apparmor", Map.of("enabled", Files.isDirectory(Path.of("/sys/kernel/security/apparmor"))));
        linux.put("selinux", Map.of("enabled", Files.isDirectory(Path.of("/sys/fs/selinux"))));
        features.put("linux", linux);
        features.put("annotations", Map.of("dev.bulwark.runtime", "bulwark " + VersionInfo.VERSION));
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(features));
        return 0;
    }
}
