package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bulwark.config.model.LinuxBlockIO;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxHugepageLimit;
import dev.bulwark.config.model.LinuxMemory;
import dev.bulwark.config.model.LinuxPids;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.LinuxThrottleDevice;
import dev.bulwark.config.model.LinuxWeightDevice;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResourceTranslatorTest {

    static LinuxResources resources(LinuxMemory memory, LinuxCpu cpu, LinuxPids pids, LinuxBlockIO io,
                                    List<LinuxHugepageLimit> huge, Map<String, String> unified) {
        return new LinuxResources(null, memory, cpu, pids, io, huge, null, null, unified);
    }

    static LinuxMemory memory(Long limit, Long reservation, Long swap) {
        return new LinuxMemory(limit, reservation, swap, null, null, null, null, null, null);
    }

    static LinuxCpu cpu(Long shares, Long quota, Long period) {
        return new LinuxCpu(shares, quota, null, period, null, null, null, null, null);
    }

    private static Map<String, String> files(LinuxResources r) throws CgroupException {
        return ResourceTranslator.translate(r).writes().stream()
                .collect(Collectors.toMap(CgroupWrite::file, CgroupWrite::value, (a, b) -> b, java.util.LinkedHashMap::new));
    }

    @ParameterizedTest(name = "shares {0} -> weight {1}")
    @CsvSource({"2,1", "1024,39", "262144,10000", "512,20"})
    void cpuSharesUseRuncsLinearConversion(long shares, long weight) throws CgroupException {
        assertEquals(weight, ResourceTranslator.cpuWeight(shares));
    }

    @Test
    void cpuSharesOutOfRangeNameTheField() {
        var e = assertThrows(CgroupException.class, () -> ResourceTranslator.cpuWeight(1));
        assertEquals("linux.resources.cpu.shares: 1 is out of range 2..262144", e.getMessage());
    }

    @ParameterizedTest(name = "quota {0} period {1} -> \"{2}\"")
    @CsvSource({"50000,100000,50000 100000", "-1,100000,max 100000", "0,250000,max 250000", "20000,0,20000 100000"})
    void cpuMaxIsQuotaAndPeriod(long quota, long period, String expected) throws CgroupException {
        assertEquals(expected, ResourceTranslator.cpuMax(quota, period));
    }

    @Test
    void cpuPeriodOutsideTheKernelsBoundsIsRejected() {
        var e = assertThrows(CgroupException.class, () -> ResourceTranslator.cpuMax(1000, 10));
        assertEquals("linux.resources.cpu.period: 10 is out of range 1000..1000000 microseconds", e.getMessage());
    }

    @Test
    void ociSwapIsMemoryPlusSwap() throws CgroupException {
        assertEquals("33554432", ResourceTranslator.swapMax(100663296, 67108864));
        assertEquals("0", ResourceTranslator.swapMax(67108864, 67108864));
        assertEquals("max", ResourceTranslator.swapMax(-1, 67108864));
        var below = assertThrows(CgroupException.class, () -> ResourceTranslator.swapMax(1, 67108864));
        assertTrue(below.getMessage().startsWith("linux.resources.memory.swap: 1 is below memory.limit 67108864"));
        var noLimit = assertThrows(CgroupException.class, () -> ResourceTranslator.swapMax(100, -1));
        assertTrue(noLimit.getMessage().contains("needs a finite linux.resources.memory.limit"));
    }

    @Test
    void memoryAndPidsMapToTheirFiles() throws CgroupException {
        var r = resources(memory(67108864L, -1L, 134217728L), null, new LinuxPids(-1L), null, null, null);
        assertEquals(Map.of("memory.max", "67108864", "memory.low", "max", "memory.swap.max", "67108864",
                "pids.max", "max"), files(r));
        assertEquals(Map.of("pids.max", "64"), files(resources(null, null, new LinuxPids(64L), null, null, null)));
        assertEquals(Map.of(), files(resources(null, null, new LinuxPids(0L), null, null, null)), "0: no limit set, as runc 1.1");
    }

    @Test
    void negativeMemoryLimitIsRejectedWithTheField() {
        var r = resources(memory(-5L, null, null), null, null, null, null, null);
        var e = assertThrows(CgroupException.class, () -> ResourceTranslator.translate(r));
        assertEquals("linux.resources.memory.limit: -5 is not a byte count (use -1 for unlimited)", e.getMessage());
    }

    @Test
    void throttlesOfOneDeviceShareOneIoMaxLine() throws CgroupException {
        var io = new LinuxBlockIO(null, null, null,
                List.of(new LinuxThrottleDevice(8, 0, 1048576)), List.of(new LinuxThrottleDevice(8, 0, 2097152)),
                List.of(new LinuxThrottleDevice(98, 0, 100)), List.of());
        var writes = ResourceTranslator.translate(resources(null, null, null, io, null, null)).writes();
        assertEquals(List.of("8:0 rbps=1048576 wbps=2097152", "98:0 riops=100"),
                writes.stream().map(CgroupWrite::value).toList());
        assertTrue(writes.stream().allMatch(w -> w.file().equals("io.max")));
    }

    @Test
    void ioWeightPrefersBfqAndFallsBackToConvertedIoWeight() throws CgroupException {
        var io = new LinuxBlockIO(500, null, List.of(new LinuxWeightDevice(8, 16, 1000, null)),
                null, null, null, null);
        var writes = ResourceTranslator.translate(resources(null, null, null, io, null, null)).writes();
        assertEquals("io.bfq.weight", writes.get(0).file());
        assertEquals("500", writes.get(0).value());
        assertEquals("default " + (1 + 490L * 9999 / 990), writes.get(0).fallback().orElseThrow().value());
        assertEquals("8:16 1000", writes.get(1).value());
        assertEquals("8:16 10000", writes.get(1).fallback().orElseThrow().value());
    }

    @Test
    void hugepageLimitsAndCpusetAndIdle() throws CgroupException {
        var cpu = new LinuxCpu(null, null, 1000L, null, null, null, "0-1,3", "0", 1L);
        var r = resources(null, cpu, null, null, List.of(new LinuxHugepageLimit("2MB", 4194304)), null);
        assertEquals(Map.of("cpu.max.burst", "1000", "cpu.idle", "1", "cpuset.cpus", "0-1,3", "cpuset.mems", "0",
                "hugetlb.2MB.max", "4194304"), files(r));
        var bad = resources(null, new LinuxCpu(null, null, null, null, null, null, "0-a", null, null), null, null, null, null);
        assertEquals("linux.resources.cpu.cpus: \"0-a\" is not a list like \"0-3,7\"",
                assertThrows(CgroupException.class, () -> ResourceTranslator.translate(bad)).getMessage());
    }

    @Test
    void unifiedEntriesAreVerbatimAndLast() throws CgroupException {
        var unified = new java.util.LinkedHashMap<String, String>();
        unified.put("memory.max", "1G");
        unified.put("memory.high", "512M");
        var r = resources(memory(67108864L, null, null), null, null, null, null, unified);
        var writes = ResourceTranslator.translate(r).writes();
        assertEquals(List.of("memory.max=67108864", "memory.max=1G", "memory.high=512M"),
                writes.stream().map(w -> w.file() + "=" + w.value()).toList());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "../memory.max|not a cgroup v2 interface file name",
            "memory/../../x|not a cgroup v2 interface file name",
            "cgroup.procs|managed by the runtime",
            "bogus.max|unknown controller \"bogus\"",
            "nodot|not a cgroup v2 interface file name"})
    void unifiedKeysAreValidated(String key, String reason) {
        var r = resources(null, null, null, null, null, Map.of(key, "1"));
        var e = assertThrows(CgroupException.class, () -> ResourceTranslator.translate(r));
        assertTrue(e.getMessage().startsWith("linux.resources.unified[\"" + key + "\"]: "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void v1OnlyFieldsAreWarningsNotErrors() throws CgroupException {
        var m = new LinuxMemory(null, null, null, 1L, null, 60L, true, null, null);
        var t = ResourceTranslator.translate(resources(m, null, null, null, null, null));
        assertEquals(List.of(), t.writes());
        assertEquals(List.of(
                "linux.resources.memory.kernel has no cgroup v2 equivalent; ignored",
                "linux.resources.memory.swappiness has no cgroup v2 equivalent; ignored",
                "linux.resources.memory.disableOOMKiller has no cgroup v2 equivalent; ignored"), t.warnings());
    }

    @Test
    void realtimeSchedulingIsRejected() {
        var c = new LinuxCpu(null, null, null, null, 950000L, 1000000L, null, null, null);
        var e = assertThrows(CgroupException.class,
                () -> ResourceTranslator.translate(resources(null, c, null, null, null, null)));
        assertTrue(e.getMessage().startsWith("linux.resources.cpu.realtimeRuntime/realtimePeriod"));
    }
}
