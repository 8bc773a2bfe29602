package dev.bulwark.config.model;

/** The root filesystem ({@code root}); {@code path} is relative to the bundle or absolute. */
public record Root(String path, Boolean readonly) {}
