package dev.bulwark.launcher.runtime;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.SpecParseException;
import dev.bulwark.config.SpecParser;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The config a container's init was compiled from, kept in its state directory so that {@code exec}
 * gives a new process the same seccomp filter, Landlock rules, capabilities, no_new_privs, rlimits and
 * LSM labels, as runc keeps its config in its state. Re-reading the bundle's config.json would not do:
 * a built-in default container has no bundle, a profile or flags may have changed the config on its way
 * to the init, and the bundle may have been edited since. The rlimits that stand in for default cgroup
 * limits this host cannot apply are merged into process.rlimits, as the init got them.
 *
 * @param spec        the config as the init ran it
 * @param hostUsrRoot whether the root was assembled from the host's /usr (the built-in default)
 */
public record ExecConfig(Spec spec, boolean hostUsrRoot) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The init's config with the fallback rlimits it also got (a configured limit of the same type wins). */
    static ExecConfig of(Spec planned, List<PosixRlimit> fallbackRlimits, boolean hostUsrRoot) {
        List<PosixRlimit> rlimits = new ArrayList<>(planned.process().rlimits());
        for (PosixRlimit fallback : fallbackRlimits) {
            if (rlimits.stream().noneMatch(limit -> limit.type().equals(fallback.type()))) {
                rlimits.add(fallback);
            }
        }
        var process = planned.process();
        var withLimits = new dev.bulwark.config.model.Process(process.terminal(), process.consoleSize(), process.user(),
                process.args(), process.commandLine(), process.env(), process.cwd(), process.capabilities(), rlimits,
                process.noNewPrivileges(), process.apparmorProfile(), process.oomScoreAdj(), process.scheduler(),
                process.selinuxLabel(), process.ioPriority());
        return new ExecConfig(planned.withProcess(withLimits), hostUsrRoot);
    }

    /** {"hostUsrRoot": ..., "config": {...}}, streamed: no tree of the config is built (once per launch). */
    byte[] toJson() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
        try (JsonGenerator out = JSON.getFactory().createGenerator(bytes)) {
            out.writeStartObject();
            out.writeBooleanField("hostUsrRoot", hostUsrRoot);
            out.writeFieldName("config");
            SpecWriter.writeCompact(spec, out);
            out.writeEndObject();
        } catch (IOException e) {
            throw new LaunchException("the container's config cannot be recorded for exec: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    static ExecConfig fromJson(byte[] json, String shown) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.path("config").isObject()) {
                throw new LaunchException(shown + ": no \"config\" object; not written by this Bulwark");
            }
            return new ExecConfig(SpecParser.parse(JSON.writeValueAsString(node.get("config"))),
                    node.path("hostUsrRoot").asBoolean(false));
        } catch (IOException | SpecParseException e) {
            throw new LaunchException(shown + " cannot be read: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
