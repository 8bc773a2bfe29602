package dev.bulwark.launcher.child;

import java.util.Map;

/**
 * Where {@code linux.sysctl} is applied: each key written to /proc/sys in the child, after the
 * container's /proc is mounted and before /proc/sys is made read-only. Only keys a namespace of the
 * container isolates (net.*, the ipc ones, kernel.hostname/domainname) get here: the config
 * validator rejects any other by name ({@code linux.sysctl["kernel.foo"]: not namespaced; would change the host}).
 */
final class SysctlSteps {
    private SysctlSteps() {
    }

    static void write(ChildSteps steps, Map<String, String> sysctl) {
        for (Map.Entry<String, String> entry : sysctl.entrySet()) {
            String key = entry.getKey();
            String path = "/proc/sys/" + key.replace('.', '/');
            if (key.contains("/")) {
                path = "/proc/sys/" + key; // the slash form names the path directly (dots may be part of a name)
            }
            steps.writeExisting("set sysctl " + key + "=" + entry.getValue(),
                    "a kernel setting of the container's own namespace (linux.sysctl)", path, entry.getValue());
        }
    }
}
