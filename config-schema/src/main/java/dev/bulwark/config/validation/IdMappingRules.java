package dev.bulwark.config.validation;

import dev.bulwark.config.model.LinuxIdMapping;
import java.util.List;

/** Rules for uid/gid mapping lists, as the kernel enforces them for {@code uid_map}. */
final class IdMappingRules {
    private IdMappingRules() {}

    /** Kernel limit on lines in uid_map/gid_map since Linux 4.15. */
    static final int MAX_MAPPINGS = 340;

    static void check(String path, List<LinuxIdMapping> mappings, Problems problems) {
        if (mappings.size() > MAX_MAPPINGS) {
            problems.add(path, "must have at most " + MAX_MAPPINGS + " entries");
        }
        for (int i = 0; i < mappings.size(); i++) {
            LinuxIdMapping m = mappings.get(i);
            String at = Problems.at(path, i);
            int before = problems.count();
            problems.uint32(at + ".containerID", m.containerId());
            problems.uint32(at + ".hostID", m.hostId());
            if (m.size() <= 0) {
                problems.add(at + ".size", "must be positive");
            } else if (m.size() > KnownNames.UINT32_MAX) {
                problems.add(at + ".size", "must be at most " + KnownNames.UINT32_MAX);
            }
            if (problems.count() != before) {
                continue;
            }
            if (m.containerId() + m.size() - 1 > KnownNames.UINT32_MAX
                    || m.hostId() + m.size() - 1 > KnownNames.UINT32_MAX) {
                problems.add(at + ".size", "range extends past " + KnownNames.UINT32_MAX);
                continue;
            }
            // The kernel rejects a map whose ranges overlap on either side.
            for (int j = 0; j < i; j++) {
                LinuxIdMapping earlier = mappings.get(j);
                if (overlaps(m.containerId(), m.size(), earlier.containerId(), earlier.size())
                        || overlaps(m.hostId(), m.size(), earlier.hostId(), earlier.size())) {
                    problems.add(at, "overlaps " + Problems.at(path, j));
                    break;
                }
            }
        }
    }

    private static boolean overlaps(long start, long size, long otherStart, long otherSize) {
        return otherSize > 0 && start < otherStart + otherSize && otherStart < start + size;
    }
}
