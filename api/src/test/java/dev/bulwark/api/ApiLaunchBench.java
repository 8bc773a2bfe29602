package dev.bulwark.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * bench/api-launch.sh: warm launches of /bin/true through the API, p50 and p99, beside
 * {@code bwrap --unshare-all ... /bin/true} spawned from the same JVM in the same run. Not a test.
 */
public final class ApiLaunchBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        java.nio.file.Path stateRoot = args.length > 1 ? java.nio.file.Path.of(args[1]) : null;
        int warmup = Math.max(20, runs / 10);
        List<String> bwrap = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "/bin/true");
        for (int i = 0; i < warmup; i++) {
            api(stateRoot);
            spawn(bwrap);
        }
        long[] apiNanos = new long[runs];
        long[] bwrapNanos = new long[runs];
        for (int i = 0; i < runs; i++) { // interleaved: both see the same machine load
            apiNanos[i] = api(stateRoot);
            bwrapNanos[i] = spawn(bwrap);
        }
        System.out.println("# api-launch: " + runs + " warm launches each (after " + warmup + "), /bin/true, euid "
                + dev.bulwark.nativ.Syscalls.geteuid());
        System.out.println(line("bulwark API (built-in default)", apiNanos));
        System.out.println(line("bwrap --unshare-all from the JVM", bwrapNanos));
    }

    private static long api(java.nio.file.Path stateRoot) {
        long start = System.nanoTime();
        ContainerBuilder builder = Bulwark.container("/bin/true");
        ContainerResult result = (stateRoot == null ? builder : builder.stateRoot(stateRoot)).run();
        long took = System.nanoTime() - start;
        if (result.exitStatus() != 0) {
            throw new IllegalStateException("api launch: " + result);
        }
        return took;
    }

    private static long spawn(List<String> command) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        int status = p.waitFor();
        long took = System.nanoTime() - start;
        if (status != 0) {
            throw new IllegalStateException("bwrap exit " + status + ": " + new String(out));
        }
        return took;
    }

    private static String line(String name, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format("%-34s p50 %6.2f ms   p99 %6.2f ms", name, sorted[sorted.length / 2] / 1e6,
                sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6);
    }
}
