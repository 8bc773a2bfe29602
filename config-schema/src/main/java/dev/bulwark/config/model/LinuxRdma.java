package dev.bulwark.config.model;

/** RDMA limits for one device ({@code linux.resources.rdma.<device>}). */
public record LinuxRdma(Long hcaHandles, Long hcaObjects) {}
