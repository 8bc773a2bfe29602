package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Per-device I/O throttle: {@code rate} in bytes/s or IO/s. */
public record LinuxThrottleDevice(
        @JsonProperty(required = true) long major,
        @JsonProperty(required = true) long minor,
        @JsonProperty(required = true) long rate) {}
