package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A device-cgroup rule ({@code linux.resources.devices[]}): {@code type} a|c|b, null major/minor
 * mean "any", {@code access} a subset of "rwm".
 */
public record LinuxDeviceCgroup(
        @JsonProperty(required = true) boolean allow,
        String type,
        Long major,
        Long minor,
        String access) {}
