package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CgroupStatsTest {
    @Test
    void flatKeyedAndNestedKeyedFormats() {
        assertEquals(Map.of("low", 0L, "high", 0L, "max", 247L, "oom", 12L, "oom_kill", 1L),
                FlatKeyed.parse("low 0\nhigh 0\nmax 247\noom 12\noom_kill 1\n"));
        assertEquals(Map.of("98:0", Map.of("rbytes", 3145728L, "wbytes", 0L, "rios", 48L)),
                FlatKeyed.parseNested("98:0 rbytes=3145728 wbytes=0 rios=48\n"));
        assertEquals(-1, FlatKeyed.parseSingle("max\n"));
        assertEquals(Long.MAX_VALUE, FlatKeyed.parseSingle("9223372036854775807"));
    }

    @Test
    void statsPrintAsTextAndJson() {
        var stats = new CgroupStats(Path.of("/sys/fs/cgroup/bulwark/c1"), OptionalLong.of(4096), OptionalLong.empty(),
                OptionalLong.of(3), OptionalLong.of(16), Map.of("nr_throttled", 25L), Map.of("98:0", Map.of("rbytes", 1L)));
        assertEquals("{\"cgroup\":\"/sys/fs/cgroup/bulwark/c1\",\"memoryCurrent\":4096,\"pidsCurrent\":3,"
                + "\"pidsPeak\":16,\"cpu\":{\"nr_throttled\":25},\"io\":{\"98:0\":{\"rbytes\":1}}}", stats.toJson());
        String text = stats.toText();
        assertTrue(text.contains("memory.current  4096"), text);
        assertTrue(text.contains("cpu.nr_throttled 25"), text);
        assertTrue(text.contains("io 98:0         rbytes=1"), text);
    }

    @Test
    void eventsCounters() {
        var events = new CgroupEvents(Map.of("oom_kill", 2L), Map.of("max", 5L));
        assertEquals(2, events.oomKills());
        assertEquals(5, events.pidsLimitHits());
    }
}
