package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Per-device I/O weight. */
public record LinuxWeightDevice(
        @JsonProperty(required = true) long major,
        @JsonProperty(required = true) long minor,
        Integer weight,
        Integer leafWeight) {}
