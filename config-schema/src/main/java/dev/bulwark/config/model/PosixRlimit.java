package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/**
 * A resource limit ({@code process.rlimits[]}), e.g. {@code RLIMIT_NOFILE}. {@code hard} and
 * {@code soft} are uint64 bits (see {@link Uint64}): {@code RLIM_INFINITY} (2^64-1) reads as -1L.
 */
public record PosixRlimit(
        @JsonProperty(required = true) String type,
        @JsonProperty(required = true)
        @JsonDeserialize(using = Uint64.Deserializer.class)
        @JsonSerialize(using = Uint64.Serializer.class) long hard,
        @JsonProperty(required = true)
        @JsonDeserialize(using = Uint64.Deserializer.class)
        @JsonSerialize(using = Uint64.Serializer.class) long soft) {}
