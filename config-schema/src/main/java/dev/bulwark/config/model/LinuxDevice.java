package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A device node to create in the container ({@code linux.devices[]}); type c, b, u or p. */
public record LinuxDevice(
        @JsonProperty(required = true) String path,
        @JsonProperty(required = true) String type,
        Long major,
        Long minor,
        Long fileMode,
        Long uid,
        Long gid) {}
