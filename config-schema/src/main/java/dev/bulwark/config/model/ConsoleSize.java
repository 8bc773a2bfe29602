package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Console size in characters ({@code process.consoleSize}). */
public record ConsoleSize(
        @JsonProperty(required = true) long height,
        @JsonProperty(required = true) long width) {}
