package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** I/O priority ({@code process.ioPriority}): class {@code IOPRIO_CLASS_RT|BE|IDLE}, priority 0..7. */
public record LinuxIOPriority(
        @JsonProperty(value = "class", required = true) String ioClass,
        Integer priority) {}
