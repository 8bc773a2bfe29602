package dev.bulwark.launcher.cgroup;

import java.util.Optional;

/**
 * One value to write into one interface file of the container's cgroup.
 *
 * @param file       interface file name, e.g. {@code memory.max}
 * @param value      exactly what is written
 * @param controller the controller that must be enabled for the file to exist; empty for {@code cgroup.*} files
 * @param field      the OCI field it comes from, for error messages ({@code linux.resources.memory.limit})
 * @param fallback   what to write instead when {@code file} does not exist (io.bfq.weight vs io.weight)
 */
public record CgroupWrite(String file, String value, Optional<Controller> controller, String field,
                          Optional<CgroupWrite> fallback) {

    static CgroupWrite of(Controller controller, String file, String value, String field) {
        return new CgroupWrite(file, value, Optional.of(controller), field, Optional.empty());
    }

    CgroupWrite orElse(CgroupWrite fallback) {
        return new CgroupWrite(file, value, controller, field, Optional.of(fallback));
    }

    @Override
    public String toString() {
        return file + "=" + value + " (" + field + ")";
    }
}
