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
}
