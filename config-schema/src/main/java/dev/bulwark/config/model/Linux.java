package dev.bulwark.config.model;

import java.util.List;
import java.util.Map;

/** Linux-specific configuration ({@code linux}). */
public record Linux(
        List<LinuxIdMapping> uidMappings,
        List<LinuxIdMapping> gidMappings,
        Map<String, String> sysctl,
        LinuxResources resources,
        String cgroupsPath,
        List<LinuxNamespace> namespaces,
        List<LinuxDevice> devices,
        LinuxSeccomp seccomp,
        String rootfsPropagation,
        List<String> maskedPaths,
        List<String> readonlyPaths,
        String mountLabel,
        LinuxIntelRdt intelRdt,
        LinuxPersonality personality,
        Map<String, LinuxTimeOffset> timeOffsets) {

    public Linux {
        uidMappings = Copies.list(uidMappings);
        gidMappings = Copies.list(gidMappings);
        sysctl = Copies.map(sysctl);
        namespaces = Copies.list(namespaces);
        devices = Copies.list(devices);
        maskedPaths = Copies.list(maskedPaths);
        readonlyPaths = Copies.list(readonlyPaths);
        timeOffsets = Copies.map(timeOffsets);
    }

    /** Whether a namespace of this type (e.g. {@code "user"}) is requested. */
    public boolean hasNamespace(String type) {
        return namespaces.stream().anyMatch(ns -> type.equals(ns.type()));
    }

    /** Whether a new namespace of this type is requested (listed without a {@code path} to join). */
    public boolean createsNamespace(String type) {
        return namespaces.stream().anyMatch(ns -> type.equals(ns.type()) && (ns.path() == null || ns.path().isEmpty()));
    }

    public Linux withNamespaces(List<LinuxNamespace> newNamespaces) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, cgroupsPath, newNamespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }

    public Linux withResources(LinuxResources newResources) {
        return new Linux(uidMappings, gidMappings, sysctl, newResources, cgroupsPath, namespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }

    public Linux withCgroupsPath(String newCgroupsPath) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, newCgroupsPath, namespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }

    public Linux withSysctl(Map<String, String> newSysctl) {
        return new Linux(uidMappings, gidMappings, newSysctl, resources, cgroupsPath, namespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }

    public Linux withSeccomp(LinuxSeccomp newSeccomp) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, cgroupsPath, namespaces, devices, newSeccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }

    public Linux withPaths(List<String> newMaskedPaths, List<String> newReadonlyPaths) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, cgroupsPath, namespaces, devices, seccomp,
                rootfsPropagation, newMaskedPaths, newReadonlyPaths, mountLabel, intelRdt, personality, timeOffsets);
    }
}
