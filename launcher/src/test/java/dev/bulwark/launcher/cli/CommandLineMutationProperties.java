package dev.bulwark.launcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Random command lines built from the real commands and options (read from picocli's model, so a new
 * option is covered without touching this test) with bad and plausible values, run in-process. Each
 * either succeeds (exit 0) or prints exactly one line, "bulwark: ...", with no Java class name, and
 * exits 125; nothing is left behind: no state directory, no file in the working directory, no child.
 * (The default state root is not compared: other launchers on the machine may use it meanwhile; no
 * command line here can reach a launch, as every {@code run} gets a missing bundle first.)
 */
class CommandLineMutationProperties {
    /** Commands that look a container up by id: always given the work area's state root, never the machine's. */
    private static final Set<String> ID_LOOKUP_COMMANDS = Set.of("state", "stats", "delete", "start", "kill", "ps", "create", "logs",
            "exec", "pause", "resume", "update", "events");

    private static final List<List<String>> COMMANDS = commands();
    private static Path work;
    private static Path stateRoot;

    @BeforeContainer
    static void makeWorkArea() throws IOException {
        work = Files.createTempDirectory("bulwark-cli-properties");
        stateRoot = Files.createDirectories(work.resolve("a/b/state")); // ".." ids stay inside work
        Files.createDirectories(work.resolve("dir"));
        Files.createDirectories(work.resolve("spec-out"));
        Files.writeString(work.resolve("not-json"), "this is not JSON\n"); // also the guard of built-in runs
        assertTrue(Files.isRegularFile(work.resolve("not-json")));
        Files.writeString(work.resolve("empty"), "");
        Files.writeString(work.resolve("wrong.json"), "{\"ociVersion\": 7}");
        Files.writeString(Files.createDirectories(work.resolve("bad-config")).resolve("config.json"), "{\"ociVersion\": ");
        Files.writeString(Files.createDirectories(work.resolve("wrong-config")).resolve("config.json"),
                "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": \"sh\"}}");
        Files.writeString(Files.createDirectories(work.resolve("no-process")).resolve("config.json"),
                "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}}");
    }

    @AfterContainer
    static void removeWorkArea() throws IOException {
        try (Stream<Path> walk = Files.walk(work)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 400)
    void badCommandLinesFailWithOneCleanLineAndLeaveNothing(@ForAll @IntRange(min = 0, max = 1000) int command,
                                                           @ForAll long seed,
                                                           @ForAll @IntRange(min = 0, max = 4) int extras) throws IOException {
        List<String> path = COMMANDS.get(command % COMMANDS.size());
        List<String> args = arguments(path, extras, new Random(seed));
        String context = ErrorReporter.oneLine(String.join(" ", args.stream()
                .map(arg -> arg.length() > 60 ? arg.substring(0, 60) + "...(" + arg.length() + " chars)" : arg).toList()));

        List<String> stateBefore = listing(stateRoot.getParent().getParent());
        List<String> workingDirBefore = listing(Path.of(""));
        long childrenBefore = ProcessHandle.current().children().count();

        Run run = runInProcess(args);

        if (run.exit == 1 && path.equals(List.of("audit"))) { // a config with an item that FAILs, reported on stdout
            assertEquals(List.of(), run.errorLines(), () -> "audit exit 1 with errors for " + context);
            assertTrue(run.stdout.contains("FAIL"), () -> "audit exit 1 without a FAIL for " + context + ":\n" + run.stdout);
        } else if (run.exit == 1) { // runc's status for a container that does not exist; explain's for a topic; inspect's for a pid
            List<String> lines = run.errorLines();
            assertEquals(1, lines.size(), () -> "not exactly one error line for " + context + ":\n" + run.stderr);
            assertTrue(lines.get(0).matches("bulwark: container \".*\" does not exist")
                            || lines.get(0).matches("bulwark: no container or process \".*\"")
                            || lines.get(0).matches("bulwark: explain: no topic \".*\"(; nearest: .*)? \\('bulwark explain' lists them all\\)"),
                    () -> "exit 1 for something else than a missing container or topic: " + context + ": " + lines.get(0));
        } else if (run.exit == 255 && path.equals(List.of("exec"))) { // runc's exec status for a container that does not exist
            List<String> lines = run.errorLines();
            assertEquals(1, lines.size(), () -> "not exactly one error line for " + context + ":\n" + run.stderr);
            assertTrue(lines.get(0).matches("bulwark: container \".*\" does not exist"),
                    () -> "exec exit 255 for something else than a missing container: " + context + ": " + lines.get(0));
        } else if (run.exit != 0) {
            assertEquals(125, run.exit, () -> "exit status for " + context + "\n" + run.stderr);
            List<String> lines = run.errorLines();
            assertEquals(1, lines.size(), () -> "not exactly one error line for " + context + ":\n" + run.stderr);
            assertTrue(lines.get(0).startsWith("bulwark: "), () -> "unprefixed error for " + context + ": " + lines.get(0));
            CleanErrors.assertCleanLine(lines.get(0).substring("bulwark: ".length()), context);
        } else {
            assertEquals(List.of(), run.errorLines(), () -> "exit 0 with errors for " + context);
        }
        assertEquals(stateBefore, listing(stateRoot.getParent().getParent()), () -> "state left behind by " + context);
        assertEquals(workingDirBefore, listing(Path.of("")), () -> "file left in the working directory by " + context);
        assertEquals(childrenBefore, ProcessHandle.current().children().count(), () -> "child left behind by " + context);
    }

    // ---- command lines -----------------------------------------------------------------------

    /**
     * The command path, then one guard so nothing can launch or write outside the work area, then
     * random options (real names, random values) and stray words.
     */
    private static List<String> arguments(List<String> path, int extras, Random random) {
        List<String> args = new ArrayList<>(path);
        CommandSpec spec = specOf(path);
        String name = path.isEmpty() ? "" : path.get(path.size() - 1);
        boolean builtIn = name.equals("run") && random.nextBoolean();
        if (builtIn) {
            // The built-in default, so its flags are checked, with a state root that cannot be created (under a
            // regular file): the launch fails after validation, before any state, cgroup or process exists.
            args.addAll(List.of("--root", work.resolve("not-json").resolve("state").toString()));
        } else if (name.equals("run")) {
            // first, so no later "--" makes it a word of the command: a bundle that cannot launch
            args.addAll(List.of("--bundle", pick(List.of("no-such-bundle", "not-json", "dir", "bad-config", "wrong-config", "no-process"), random)));
        } else if (ID_LOOKUP_COMMANDS.contains(name)) {
            args.addAll(List.of("--root", stateRoot.toString())); // first: a later random --root is a second one
        } else if (name.equals("spec")) {
            args.addAll(List.of("--bundle", pick(List.of("spec-out", "missing", "not-json"), random))); // never the working directory
        }
        List<OptionSpec> options = spec.options();
        for (int i = 0; i < extras; i++) {
            int kind = random.nextInt(10);
            if (kind < 6 && !options.isEmpty()) {
                OptionSpec option = options.get(random.nextInt(options.size()));
                if (option.usageHelp() || option.versionHelp()) {
                    if (random.nextInt(4) != 0) {
                        continue; // mostly skip help: it succeeds before anything is checked
                    }
                }
                String[] names = option.names();
                args.add(names[random.nextInt(names.length)]);
                if (option.arity().max() > 0) {
                    String value = value(random);
                    boolean writes = Set.of("--output", "--log", "--pid-file").contains(option.longestName());
                    args.add(writes && !value.startsWith("/") && !value.isEmpty() ? work.resolve("dir") + "/" + value : value);
                }
            } else if (kind < 8) {
                args.add(value(random));
            } else if (kind == 8) {
                args.add(random.nextBoolean() ? "--no-such-option" : "-Z");
            } else {
                args.add("--");
            }
        }
        if (builtIn) {
            args.addAll(List.of("--", "/bin/true"));
            return args;
        }
        if (args.contains("--root") || ID_LOOKUP_COMMANDS.contains(name)) {
            return args;
        }
        if (spec.findOption("--root") != null && random.nextBoolean()) {
            args.addAll(path.size(), List.of("--root", stateRoot.toString())); // sometimes where the state goes
        }
        return args;
    }

    private static String pick(List<String> names, Random random) {
        return work.resolve(names.get(random.nextInt(names.size()))).toString();
    }

    private static String value(Random random) {
        List<String> values = List.of("", ":", "::", "1:", ":1", "-1", "0", "1", "99999999999999999999", "1e9", "0.5",
                "-0.0", "NaN", "a\u0000b", "\ud800", "x\udc00", "..", "../..", "a/../..", "-", "--x", "=", "1:2:3",
                "x".repeat(5000), "é中", "64m", "1g", "-5m", "9999999999g", "x86_64", "arm", "CAP_KILL", "cap_sys_admin",
                "1000000000:65536", "0:1", "4294967295:2", "/tmp:/mnt", "/a:/b:rw", "/a:/b:xx", "relative:/b", "A=B",
                "NOVALUE", "/", "relative", work.resolve("dir").toString(), work.resolve("not-json").toString(),
                work.resolve("empty").toString(), work.resolve("wrong.json").toString(),
                work.resolve("missing").toString(), work.resolve("missing/deeper/file").toString(),
                work.resolve("dir/out.bpf").toString());
        return values.get(random.nextInt(values.size()));
    }

    /** Every runnable command path in the CLI's model, e.g. [run], [seccomp, show]. */
    private static List<List<String>> commands() {
        List<List<String>> paths = new ArrayList<>();
        collect(new CommandLine(new BulwarkCli()), new ArrayList<>(), paths);
        return List.copyOf(paths);
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        paths.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) { // not an alias
                List<String> next = new ArrayList<>(path);
                next.add(name);
                collect(sub, next, paths);
            }
        });
    }

    private static CommandSpec specOf(List<String> path) {
        CommandLine command = new CommandLine(new BulwarkCli());
        for (String name : path) {
            command = command.getSubcommands().get(name);
        }
        return command.getCommandSpec();
    }

    // ---- running -----------------------------------------------------------------------------

    record Run(int exit, String stdout, String stderr) {
        /** stderr without warnings (the seccomp compiler's, or limits this host cannot apply). */
        List<String> errorLines() {
            return stderr.lines().filter(line -> !line.contains("warning:")).toList();
        }
    }

    static synchronized Run runInProcess(List<String> args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
            int exit = BulwarkCli.execute(args.toArray(String[]::new));
            return new Run(exit, capturedOut.toString(StandardCharsets.UTF_8), capturedErr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static List<String> listing(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir, dir.toString().isEmpty() ? 1 : 6)) {
            return walk.map(Path::toString).sorted().toList();
        }
    }
}
