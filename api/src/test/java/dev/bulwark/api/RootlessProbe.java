package dev.bulwark.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Run by {@link RootlessApiTest} as the unprivileged user bulwark-test (a JVM of its own, through setpriv):
 * the API's main paths, one line "ok NAME" each, or an exception and exit status 1.
 */
public final class RootlessProbe {
    public static void main(String[] args) throws Exception {
        ContainerResult run = Bulwark.container("/bin/sh", "-c", "id -u; echo err >&2; exit 5").run();
        check(run.exitStatus() == 5 && run.stdout().equals("0\n") && run.stderr().equals("err\n"), "run", run.toString());

        try (RunningContainer c = Bulwark.container("/bin/sh", "-c", "trap 'exit 9' TERM; echo up; while :; do sleep 0.1; done")
                .readyWhenOutput("up", Duration.ofSeconds(20)).start()) {
            ContainerResult stopped = c.stop(Duration.ofSeconds(10));
            check(stopped.exitStatus() == 9, "stop", stopped.toString());
        }

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<ContainerResult>> many = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            many.add(pool.submit(() -> Bulwark.container("/bin/echo", "c" + n).run()));
        }
        for (int i = 0; i < many.size(); i++) {
            ContainerResult r = many.get(i).get();
            check(r.exitStatus() == 0 && r.stdout().equals("c" + i + "\n"), "threads", r.toString());
        }
        pool.shutdown();

        try (RunningContainer c = Bulwark.container("/bin/sh", "-c", "echo up; read line; echo got:$line")
                .copyToContainer("copied\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644, "/etc/copied.txt")
                .openStdin().readyWhenOutput("up", Duration.ofSeconds(20)).start()) {
            ContainerResult exec = c.exec("/bin/sh", "-c", "cat /etc/copied.txt; id -u");
            check(exec.exitStatus() == 0 && exec.stdout().equals("copied\n0\n"), "exec", exec.toString());
            c.stdin().write("line\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            c.stdin().close();
            check(c.waitFor(Duration.ofSeconds(20)) && c.stdoutText().equals("up\ngot:line\n"), "stdin", c.stdoutText());
        }
        ContainerResult bounded = Bulwark.container("/bin/sh", "-c", "head -c 100000 /dev/zero").outputLimit(10).run();
        check(bounded.exitStatus() == 0 && bounded.stdout().contains("output truncated"), "output-limit", bounded.toString());

        List<String> stress = StressRun.run(200, 50, 8);
        check(stress.isEmpty(), "stress", String.join("\n", stress));

        if (args.length > 0 && args[0].equals("pasta")) {
            try (RunningContainer web = Bulwark.container("python3", "-u", "-m", "http.server", "8000").network("pasta")
                    .publish(0, 8000).readyWhenOutput("Serving HTTP", Duration.ofSeconds(20)).start()) {
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + web.hostPort(8000) + "/")).build(), HttpResponse.BodyHandlers.ofString());
                check(response.statusCode() == 200, "pasta", response.statusCode() + " " + web.stderrText());
            }
        }
        check(ProcessHandle.current().children().count() == 0, "nothing-left", "children: "
                + ProcessHandle.current().children().map(ProcessHandle::pid).toList());
    }

    private static void check(boolean ok, String name, String detail) {
        if (!ok) {
            throw new AssertionError(name + ": " + detail);
        }
        System.out.println("ok " + name);
    }
}
