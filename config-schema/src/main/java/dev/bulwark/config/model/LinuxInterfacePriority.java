package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** net_prio priority of one interface. */
public record LinuxInterfacePriority(
        @JsonProperty(required = true) String name,
        @JsonProperty(required = true) long priority) {}
