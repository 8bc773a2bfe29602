package dev.bulwark.launcher.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.LinuxCpu;
import dev.bulwark.config.model.LinuxHugepageLimit;
import dev.bulwark.config.model.LinuxRdma;
import dev.bulwark.config.model.LinuxResources;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.ResourceSyntax;
import dev.bulwark.config.validation.SpecValidator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The validator and the cgroup translator take their syntax rules from one place
 * ({@link ResourceSyntax}): every value the validator accepts, the translator accepts, and every
 * value the validator refuses, the translator refuses too. Checked on a table of edge cases and on
 * generated strings from the characters these fields are made of.
 */
class ResourceSyntaxAgreementTest {
    private static final Spec BASE = HardenedDefaults.spec(DefaultsOptions.root());

    private static final List<String> PAGE_SIZES = List.of("2MB", "1GB", "64KB", "16GB", "2048KB", "1TB", "1PB",
            "02MB", "0MB", "2mb", "2M", "2 MB", "MB", "", "2MiB", "-2MB", "99999999999999999999GB");
    private static final List<String> CPU_LISTS = List.of("0", "0-3", "0-3,7", "0,1,2", "3-1", "0-3,x", " 0-3", "0-3 ",
            "0-3\n", "0--3", ",0", "0,", "1-1", "007", "99999999999999999999-1", "1-99999999999999999999");
    private static final List<String> UNIFIED_KEYS = List.of("memory.max", "memory.high", "hugetlb.2MB.max",
            "cpu.max.burst", "cgroup.freeze", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill",
            "cgroup.type", "cgroup.max.depth", "cgroup.max.descendants", "bogus.max", "nodot", "../memory.max", "memory/../x", "memory..max", "memory.", ".max",
            "Memory.max", "memory.max\0", "misc.max", "rdma.max", "perf_event.x");
    private static final List<String> RDMA_DEVICES = List.of("mlx4_0", "mlx5.1", "a-b", "a b", "a/b", "a=b", "", "x\n");

    @Example
    void edgeCasesAgree() {
        PAGE_SIZES.forEach(this::pageSizesAgree);
        CPU_LISTS.forEach(this::cpuListsAgree);
        UNIFIED_KEYS.forEach(this::unifiedKeysAgree);
        RDMA_DEVICES.forEach(this::rdmaDevicesAgree);
    }

    @Example
    void pageSizesFollowTheKernelsHugetlbFileNames() {
        // mm/hugetlb_cgroup.c names files with %luKB, %luMB or %luGB; runc and the spec use the same spelling.
        for (String size : List.of("64KB", "2MB", "32MB", "1GB", "16GB")) {
            assertEquals(java.util.Optional.empty(), ResourceSyntax.pageSizeProblem(size), size);
        }
        for (String size : List.of("1TB", "1PB", "2M", "02MB", "0KB")) {
            assertEquals(true, ResourceSyntax.pageSizeProblem(size).isPresent(), size);
        }
    }

    @Example
    void unifiedPrefixesAreTheControllersBulwarkKnowsAndTheCoreFiles() {
        var names = new java.util.TreeSet<String>();
        for (Controller controller : Controller.values()) {
            names.add(controller.kernelName());
        }
        names.add("cgroup");
        assertEquals(names, new java.util.TreeSet<>(ResourceSyntax.UNIFIED_PREFIXES));
    }

    @Property(tries = 300)
    void pageSizesAgree(@ForAll("pageSizes") String pageSize) {
        var hugepages = List.of(new LinuxHugepageLimit(pageSize, 4_194_304L));
        agree("hugepageLimits " + pageSize, new LinuxResources(null, null, null, null, null, hugepages, null, null, null));
    }

    @Property(tries = 300)
    void cpuListsAgree(@ForAll("cpuLists") String list) {
        var cpu = new LinuxCpu(null, null, null, null, null, null, list, list, null);
        agree("cpus/mems " + list, new LinuxResources(null, null, cpu, null, null, null, null, null, null));
    }

    @Property(tries = 300)
    void unifiedKeysAgree(@ForAll("unifiedKeys") String key) {
        agree("unified " + key, new LinuxResources(null, null, null, null, null, null, null, null, Map.of(key, "1")));
    }

    @Property(tries = 200)
    void rdmaDevicesAgree(@ForAll("rdmaDevices") String device) {
        var rdma = Map.of(device, new LinuxRdma(10L, null));
        agree("rdma " + device, new LinuxResources(null, null, null, null, null, null, null, rdma, null));
    }

    private static void agree(String what, LinuxResources resources) {
        boolean validatorAccepts = SpecValidator.validate(BASE.withLinux(BASE.linux().withResources(resources))).isEmpty();
        boolean translatorAccepts;
        try {
            ResourceTranslator.translate(resources);
            translatorAccepts = true;
        } catch (CgroupException e) {
            translatorAccepts = false;
        }
        assertEquals(validatorAccepts, translatorAccepts, what + ": validator "
                + SpecValidator.validate(BASE.withLinux(BASE.linux().withResources(resources))));
    }

    @Provide
    Arbitrary<String> pageSizes() {
        return Arbitraries.oneOf(Arbitraries.of(PAGE_SIZES),
                Arbitraries.strings().withChars("0123456789KMGTPBbi ").ofMinLength(0).ofMaxLength(6));
    }

    @Provide
    Arbitrary<String> cpuLists() {
        return Arbitraries.oneOf(Arbitraries.of(CPU_LISTS),
                Arbitraries.strings().withChars("0123456789-, x").ofMinLength(0).ofMaxLength(8));
    }

    @Provide
    Arbitrary<String> unifiedKeys() {
        return Arbitraries.oneOf(Arbitraries.of(UNIFIED_KEYS),
                Arbitraries.strings().withChars("cgroupmemyxhMB._/2").ofMinLength(1).ofMaxLength(12),
                Arbitraries.of(ResourceSyntax.UNIFIED_PREFIXES).flatMap(prefix ->
                        Arbitraries.strings().withChars("abmx._/2MB").ofMinLength(0).ofMaxLength(6).map(f -> prefix + "." + f)));
    }

    @Provide
    Arbitrary<String> rdmaDevices() {
        return Arbitraries.oneOf(Arbitraries.of(RDMA_DEVICES),
                Arbitraries.strings().withChars("mlx4_0.- =/").ofMinLength(1).ofMaxLength(8));
    }
}
