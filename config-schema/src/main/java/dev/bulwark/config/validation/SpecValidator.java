package dev.bulwark.config.validation;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.Spec;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a parsed {@link Spec} against the runtime-spec's rules and Bulwark's stricter ones, and
 * reports every problem at once. Pure: it looks at the spec only, never at the filesystem or the
 * running kernel, so the same config validates the same way everywhere.
 */
public final class SpecValidator {
    private SpecValidator() {}

    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");
    /** RFC 1123 host name; the kernel itself only caps it at 64 bytes. */
    private static final Pattern HOSTNAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
    private static final int HOST_NAME_MAX = 64;

    /** All problems in document order; empty if the spec is valid. */
    public static List<Problem> validate(Spec spec) {
        Problems problems = new Problems();
        checkVersion(spec.ociVersion(), problems);
        if (spec.process() == null) {
            problems.add("process", "required");
        } else {
            ProcessRules.check(spec.process(), problems);
        }
        if (spec.root() == null) {
            problems.add("root", "required");
        } else if (spec.root().path() == null || spec.root().path().isBlank()) {
            problems.add("root.path", "required");
        }
        Linux linux = spec.linux();
        checkHostName("hostname", spec.hostname(), linux, problems);
        checkHostName("domainname", spec.domainname(), linux, problems);
        MountRules.check(spec.mounts(), problems);
        HookRules.check(spec.hooks(), problems);
        if (linux != null) {
            LinuxRules.check(linux, problems);
        }
        TextRules.check(spec, problems);
        return problems.toList();
    }

    /** @throws ValidationException listing every problem, if there is any */
    public static void requireValid(Spec spec) throws ValidationException {
        List<Problem> problems = validate(spec);
        if (!problems.isEmpty()) {
            throw new ValidationException(problems);
        }
    }

    private static void checkVersion(String version, Problems problems) {
        if (version == null || version.isEmpty()) {
            problems.add("ociVersion", "required");
            return;
        }
        Matcher m = SEMVER.matcher(version);
        if (!m.matches()) {
            problems.add("ociVersion", "\"" + version + "\" is not a semantic version like \"1.2.0\"");
        } else if (!m.group(1).equals("1")) {
            problems.add("ociVersion", "unsupported major version " + m.group(1) + " (expected 1.x.y)");
        }
    }

    private static void checkHostName(String path, String name, Linux linux, Problems problems) {
        if (name == null || name.isEmpty()) {
            return;
        }
        if (name.length() > HOST_NAME_MAX) {
            problems.add(path, "must be at most " + HOST_NAME_MAX + " characters");
        } else if (!HOSTNAME.matcher(name).matches()) {
            problems.add(path, "\"" + name + "\" is not a valid host name");
        }
        // Setting it without a private UTS namespace would rename the host.
        if (linux == null || !linux.hasNamespace("uts")) {
            problems.add(path, "requires a uts namespace");
        }
    }
}
