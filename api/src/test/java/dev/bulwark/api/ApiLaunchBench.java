package dev.bulwark.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * bench/api-launch.sh: warm launches of /bin/true through the API, p50 and p99, beside
 * {@code bwrap --unshare-all ... /bin/true} spawned from the same JVM in the same run, interleaved so that
 * all rows see the same machine load. Not a test. Arguments: RUNS [STATE_ROOT].
 */
public final class ApiLaunchBench {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Path stateRoot = args.length > 1 ? Path.of(args[1]) : null;
        int warmup = Math.max(20, runs / 10);
        List<String> bwrap = List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "/bin/true");
        ContainerBuilder reused = builder(stateRoot);
        Supplier<ContainerBuilder> fresh = () -> builder(stateRoot);
        for (int i = 0; i < warmup; i++) {
            api(reused);
            api(fresh.get());
            spawn(bwrap);
        }
        long[] reusedNanos = new long[runs];
        long[] freshNanos = new long[runs];
        long[] bwrapNanos = new long[runs];
        for (int i = 0; i < runs; i++) { // interleaved: every row sees the same machine load
            reusedNanos[i] = api(reused);
            freshNanos[i] = api(fresh.get());
            bwrapNanos[i] = spawn(bwrap);
        }
        System.out.println("# api-launch: " + runs + " warm launches per row (after " + warmup + "), /bin/true, euid "
                + dev.bulwark.nativ.Syscalls.geteuid() + ", state root " + (stateRoot == null ? "default" : stateRoot));
        double bwrapP50 = percentile(bwrapNanos, 0.5);
        System.out.println(line("bulwark API, one builder reused", reusedNanos, bwrapP50));
        System.out.println(line("bulwark API, a new builder each", freshNanos, bwrapP50));
        System.out.println(line("bwrap --unshare-all from the JVM", bwrapNanos, bwrapP50));
    }

    private static ContainerBuilder builder(Path stateRoot) {
        ContainerBuilder builder = Bulwark.container("/bin/true");
        return stateRoot == null ? builder : builder.stateRoot(stateRoot);
    }

    private static long api(ContainerBuilder builder) {
        long start = System.nanoTime();
        ContainerResult result = builder.run();
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

    private static double percentile(long[] nanos, double fraction) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, (int) Math.ceil(sorted.length * fraction) - 1)] / 1e6;
    }

    private static String line(String name, long[] nanos, double bwrapP50) {
        double p50 = percentile(nanos, 0.5);
        return String.format("%-34s p50 %6.2f ms   p99 %6.2f ms   p50/bwrap's %5.2fx", name, p50, percentile(nanos, 0.99),
                p50 / bwrapP50);
    }
}
