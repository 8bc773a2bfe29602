package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Hugetlb limit: {@code pageSize} like "2MB", {@code limit} in bytes. */
public record LinuxHugepageLimit(
        @JsonProperty(required = true) String pageSize,
        @JsonProperty(required = true) long limit) {}
