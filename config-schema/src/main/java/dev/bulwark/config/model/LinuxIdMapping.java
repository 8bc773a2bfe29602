package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A uid/gid range mapping; uint32 values held in {@code long}s. */
public record LinuxIdMapping(
        @JsonProperty(value = "containerID", required = true) long containerId,
        @JsonProperty(value = "hostID", required = true) long hostId,
        @JsonProperty(required = true) long size) {}
