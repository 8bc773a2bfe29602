package dev.bulwark.config.model;

import java.util.List;
import java.util.Map;

/** Cgroup resource limits ({@code linux.resources}). */
public record LinuxResources(
        List<LinuxDeviceCgroup> devices,
        LinuxMemory memory,
        LinuxCpu cpu,
        LinuxPids pids,
        LinuxBlockIO blockIO,
        List<LinuxHugepageLimit> hugepageLimits,
        LinuxNetwork network,
        Map<String, LinuxRdma> rdma,
        Map<String, String> unified) {

    public LinuxResources {
        devices = Copies.list(devices);
        hugepageLimits = Copies.list(hugepageLimits);
        rdma = Copies.map(rdma);
        unified = Copies.map(unified);
    }

    public LinuxResources withMemory(LinuxMemory newMemory) {
        return new LinuxResources(devices, newMemory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified);
    }

    public LinuxResources withCpu(LinuxCpu newCpu) {
        return new LinuxResources(devices, memory, newCpu, pids, blockIO, hugepageLimits, network, rdma, unified);
    }

    public LinuxResources withPids(LinuxPids newPids) {
        return new LinuxResources(devices, memory, cpu, newPids, blockIO, hugepageLimits, network, rdma, unified);
    }
}
