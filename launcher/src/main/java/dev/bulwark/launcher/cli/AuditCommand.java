package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.plan.FileErrors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.audit.ConfigAudit;
import dev.bulwark.launcher.audit.Finding;
import dev.bulwark.launcher.audit.Status;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.ProfileSelection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code bulwark audit [--bundle DIR | FILE] [--json]}: a config checked against the CIS Docker Benchmark, section 5. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Check a config.json against the CIS Docker Benchmark v1.6.0, section 5 (container runtime), "
                + "as far as an OCI config decides it, and against Bulwark's own hardening (Landlock, masked and "
                + "read-only paths). Each finding names the item, the config field, PASS, WARN or FAIL, the risk in one "
                + "sentence, the fix, and the 'bulwark explain' topic that teaches the mechanism. The config is judged "
                + "as Bulwark would run it: under the hardened profile (its annotation, or --profile hardened) a missing "
                + "user namespace, no_new_privs, seccomp filter or read-only root is added first. Nothing is run.",
                "Exit status 0: nothing FAILs; 1: some item FAILs; 125: the file cannot be read or is not a config."},
        footer = {"", "Examples:",
                "  bulwark spec --stdout > /tmp/c.json && bulwark audit /tmp/c.json  # no FAIL",
                "  cd \"$(mktemp -d)\" && runc spec && bulwark audit   # runc's: 5.22, 5.31 FAIL",
                "  bulwark audit --bundle ./mybundle --profile hardened   # the config, lifted",
                "  bulwark audit --json c.json | jq '.findings[] | select(.status != \"PASS\")'"})
final class AuditCommand implements Callable<Integer> {
    private static final int WIDTH = 100;
    private static final String INDENT = " ".repeat(12);

    @Parameters(paramLabel = "FILE", arity = "0..1", description = "the config.json to check (default: ./config.json)")
    Path file;

    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR", description = "check DIR/config.json instead of FILE")
    Path bundle;

    @Option(names = "--json", description = "print the findings as JSON: {benchmark, config, profile, failed, findings[]}")
    boolean json;

    @Option(names = "--profile", paramLabel = "hardened|oci", description = "judge the config as run under this profile "
            + "(default as for run: the global --profile, BULWARK_PROFILE, /etc/bulwark/bulwark.json, then oci; a config "
            + "annotated dev.bulwark.profile: hardened is always hardened)")
    String profile;

    @picocli.CommandLine.Spec
    CommandSpec command;

    @Override
    public Integer call() throws IOException {
        if (file != null && bundle != null) {
            throw new LaunchException("audit: give either --bundle DIR or FILE, not both");
        }
        Path config = bundle != null ? bundle.resolve("config.json") : file != null ? file : Path.of("config.json");
        Spec spec = read(config);
        Profile selected = ProfileSelection.of(profile, BulwarkCli.globalProfile(command)).profile().effectiveFor(spec);
        List<Finding> findings = ConfigAudit.audit(spec, selected);
        PrintWriter out = command.commandLine().getOut();
        if (json) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("benchmark", ConfigAudit.BENCHMARK);
            document.put("config", config.toString());
            document.put("profile", selected.flagName());
            document.put("failed", ConfigAudit.anyFails(findings));
            document.put("findings", findings);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document));
        } else {
            out.print(text(config, selected, findings));
        }
        out.flush();
        return ConfigAudit.anyFails(findings) ? 1 : 0;
    }

    private static Spec read(Path config) {
        if (Files.isDirectory(config)) {
            throw new LaunchException(config + ": is a directory; give its config.json, or --bundle " + config);
        }
        try {
            return SpecParser.parse(config);
        } catch (SpecParseException e) {
            throw new LaunchException(e.getMessage());
        } catch (IOException e) {
            throw new LaunchException(config + ": " + FileErrors.reason(e), e);
        }
    }

    /** One line per item; what does not pass gets its risk, fix and explain topic beneath. */
    static String text(Path config, Profile profile, List<Finding> findings) {
        StringBuilder text = new StringBuilder();
        text.append(ConfigAudit.BENCHMARK).append('\n')
                .append("config ").append(config).append(", profile ").append(profile.flagName()).append("\n\n");
        for (Finding finding : findings) {
            text.append(TextWrap.wrap(finding.title() + ": " + finding.found(), WIDTH,
                    String.format("%-4s  %-4s  ", finding.status(), finding.item()), INDENT));
            if (finding.status() != Status.PASS) {
                text.append(TextWrap.wrap(finding.field(), WIDTH, INDENT + "field: ", INDENT + "       "))
                        .append(TextWrap.wrap(finding.risk(), WIDTH, INDENT + "risk:  ", INDENT + "       "))
                        .append(TextWrap.wrap(finding.fix(), WIDTH, INDENT + "fix:   ", INDENT + "       "))
                        .append(INDENT).append("learn: bulwark explain ").append(finding.topic()).append('\n');
            }
        }
        long pass = findings.stream().filter(f -> f.status() == Status.PASS).count();
        long warn = findings.stream().filter(f -> f.status() == Status.WARN).count();
        long fail = findings.stream().filter(f -> f.status() == Status.FAIL).count();
        text.append('\n').append(pass).append(" PASS, ").append(warn).append(" WARN, ").append(fail).append(" FAIL\n");
        return text.toString();
    }
}
