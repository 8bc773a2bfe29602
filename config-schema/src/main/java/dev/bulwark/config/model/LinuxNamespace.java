package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A namespace to create ({@code path} null) or join ({@code path} set), e.g. type {@code "pid"}. */
public record LinuxNamespace(@JsonProperty(required = true) String type, String path) {
    public LinuxNamespace(String type) {
        this(type, null);
    }
}
