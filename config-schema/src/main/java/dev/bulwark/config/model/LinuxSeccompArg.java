package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/**
 * A seccomp argument comparison: syscall argument {@code index} (0..5) {@code op} {@code value}.
 * For {@code SCMP_CMP_MASKED_EQ}, {@code value} is the mask and {@code valueTwo} the expected
 * result. {@code value} and {@code valueTwo} are uint64 held as raw bits (see {@link Uint64}):
 * JSON 18446744073709551615 reads as -1L. {@code valueTwo} is optional and defaults to 0.
 */
public record LinuxSeccompArg(
        @JsonProperty(required = true) int index,
        @JsonProperty(required = true)
        @JsonDeserialize(using = Uint64.Deserializer.class)
        @JsonSerialize(using = Uint64.Serializer.class) long value,
        @JsonDeserialize(using = Uint64.Deserializer.class)
        @JsonSerialize(using = Uint64.Serializer.class) long valueTwo,
        @JsonProperty(required = true) String op) {}
