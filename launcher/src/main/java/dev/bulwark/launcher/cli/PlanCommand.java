package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.EffectiveConfig;
import dev.bulwark.launcher.plan.FileErrors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.ProfileSelection;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.DryRun;
import dev.bulwark.launcher.runtime.RunRequest;
import dev.bulwark.launcher.setup.ByHand;
import dev.bulwark.launcher.setup.PlanText;
import dev.bulwark.launcher.setup.PlannedStep;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code bulwark plan}: the child's compiled program for a launch, printed, never run. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false, description = {
        "Print the program the container's first process would run between clone and execve, without running "
                + "anything: no clone, no mount, no cgroup, no state directory. Each step shows the syscall and its "
                + "arguments, the config field that asks for it, why, and the util-linux or shell command (unshare, "
                + "mount, pivot_root, setpriv, capsh, prlimit, sysctl, hostname, exec) that does the same by hand.",
        "",
        "bulwark plan [RUN FLAGS] -- CMD [ARG...]: the built-in default container, shaped by the same flags as run.",
        "bulwark plan -b DIR [-- CMD]: the bundle DIR's config.json.",
        "bulwark run --trace prints the same steps as the child runs them.",
        ""},
        footer = {"", "Examples:",
                "  bulwark plan -- /bin/sh -c id          # the built-in default's steps",
                "  bulwark plan --network none -- true    # shaped by run's flags",
                "  bulwark plan -b bundle --json          # a bundle, for scripts"})
final class PlanCommand implements Callable<Integer> {
    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "plan the bundle DIR (its config.json) instead of the built-in default")
    Path bundle;

    @Option(names = "--id", paramLabel = "ID", description = "container id the plan names paths after (default: bulwark-plan); nothing is created")
    String id;

    @Mixin
    StateRootOption stateRoot;

    @Option(names = "--profile", paramLabel = "hardened|oci", description = "as run's --profile (bundles only)")
    String profile;

    @Option(names = "--allow-host-root", description = "as run's --allow-host-root")
    boolean allowHostRoot;

    @Option(names = "--host-id-range", paramLabel = "START[:SIZE]", converter = HostIdRange.class,
            description = "as run's --host-id-range (default: 1000000000:65536)")
    LinuxIdMapping hostIdRange = HostIdRange.defaultRange();

    @Mixin
    DefaultContainerOptions defaults;

    @Mixin
    NetworkFlags network;

    @Option(names = "--init", description = "as run's --init")
    boolean init;

    @Option(names = "--allow-missing-lsm", description = "as run's --allow-missing-lsm")
    boolean allowMissingLsm;

    @Option(names = "--json", description = "the plan as JSON: the launcher's own steps, then each child step with its "
            + "index, name, syscall, arguments, configField, why, judgement and byHand")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Parameters(paramLabel = "COMMAND", description = "command and arguments, after --")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        boolean builtIn = bundle == null;
        if (builtIn && command.isEmpty()) {
            throw new LaunchException("plan: give a command after -- (the built-in default) or --bundle DIR");
        }
        String containerId = ContainerId.parse(id != null ? id : "bulwark-plan", "--id").value();
        int euid = Syscalls.geteuid();
        Profile selected = builtIn ? Profile.HARDENED : ProfileSelection.of(profile, BulwarkCli.globalProfile(commandSpec)).profile();
        EffectiveConfig effective = EffectiveConfig.of(builtIn ? network.applyTo(defaults.applyTo(BuiltInDefault.spec(euid, Syscalls.getegid(), command)), euid != 0)
                : bundleSpec(), selected, euid != 0, init, allowHostRoot, allowMissingLsm);
        Spec spec = effective.spec();
        DryRun dryRun = DryRun.of(new RunRequest(spec, builtIn ? null : bundle.toAbsolutePath(), containerId, builtIn,
                stateRoot.resolve(), effective.hostRootAllowed(), hostIdRange, null, null, null, effective.lsm(), null));
        List<String> byHand = ByHand.of(dryRun.plan(), spec);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", containerId);
            out.put("cloneFlags", "0x" + Long.toHexString(dryRun.cloneFlags()));
            out.put("launcher", dryRun.launcher());
            List<Map<String, Object>> steps = new ArrayList<>();
            for (PlannedStep step : dryRun.plan().steps()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("index", step.index());
                s.put("name", step.name());
                s.put("syscall", step.syscall());
                s.put("arguments", step.arguments());
                s.put("configField", step.configField());
                s.put("why", step.why());
                s.put("judgement", step.judgement());
                s.put("byHand", byHand.get(step.index()));
                steps.add(s);
            }
            out.put("steps", steps);
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
            return 0;
        }
        StringBuilder text = new StringBuilder();
        text.append("# the launcher (clone flags 0x").append(Long.toHexString(dryRun.cloneFlags())).append(")\n");
        for (DryRun.LauncherStep step : dryRun.launcher()) {
            text.append("  ").append(step.what()).append('\n');
            if (!step.byHand().isEmpty()) {
                text.append("      by hand: ").append(step.byHand()).append('\n');
            }
        }
        text.append("# the container's first process, between clone and execve (").append(dryRun.plan().steps().size())
                .append(" steps)\n");
        text.append(PlanText.render(dryRun.plan(), spec));
        System.out.print(text);
        System.out.flush();
        return 0;
    }

    private Spec bundleSpec() {
        List<String> given = new java.util.ArrayList<>(defaults.given());
        given.addAll(network.given());
        if (!given.isEmpty()) {
            throw new LaunchException(String.join(", ", given) + ": " + (given.size() == 1 ? "applies" : "apply")
                    + " to the built-in default (plan [flags] -- CMD) only; with a bundle, edit its config.json");
        }
        Path config = bundle.toAbsolutePath().resolve("config.json");
        if (!Files.exists(config)) {
            throw new LaunchException("--bundle: no config.json in " + bundle.toAbsolutePath());
        }
        try {
            Spec spec = SpecParser.parse(config);
            if (!command.isEmpty() && spec.process() != null) {
                spec = spec.withProcess(spec.process().withArgs(command));
            }
            return spec;
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage());
        } catch (IOException e) {
            throw new LaunchException("reading " + config + ": " + FileErrors.reason(e), e);
        }
    }
}
