package dev.bulwark.launcher.audit;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.Spec;

import java.util.regex.Pattern;

/** Items about sharing the host's namespaces: network (5.10), pid (5.16), ipc (5.17), uts (5.21). */
final class NamespaceChecks {
    private NamespaceChecks() {
    }

    /** /proc/1/ns/TYPE (or /proc/self/ns, the launcher's own): a path that names the host's namespace. */
    private static final Pattern HOST_NAMESPACE = Pattern.compile("/proc/(1|self|thread-self)/ns/[a-z_]+");

    static boolean isHostNamespace(String path) {
        return HOST_NAMESPACE.matcher(path).matches();
    }

    static Finding network(Spec spec) {
        return shared(spec, "network", BenchmarkItems.HOST_NETWORK);
    }

    static Finding pid(Spec spec) {
        return shared(spec, "pid", BenchmarkItems.HOST_PID);
    }

    static Finding ipc(Spec spec) {
        return shared(spec, "ipc", BenchmarkItems.HOST_IPC);
    }

    static Finding uts(Spec spec) {
        return shared(spec, "uts", BenchmarkItems.HOST_UTS);
    }

    private static Finding shared(Spec spec, String type, Finding item) {
        Linux linux = spec.linux();
        if (!linux.hasNamespace(type)) {
            return item.with(Status.FAIL, "no " + type + " namespace in linux.namespaces: the host's is shared");
        }
        String joined = PrivilegeChecks.joinedPath(linux, type);
        if (joined == null) {
            return item.with(Status.PASS, "a new " + type + " namespace");
        }
        return isHostNamespace(joined)
                ? item.with(Status.FAIL, "joins the host's " + type + " namespace (" + joined + ")")
                : item.with(Status.PASS, "joins the " + type + " namespace " + joined + " (not the host's)");
    }
}
