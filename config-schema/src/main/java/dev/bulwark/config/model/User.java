package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The user the process runs as ({@code process.user}). uid/gid are uint32 values held in a
 * {@code long}; they are REQUIRED so a missing uid can never default to root silently.
 */
public record User(
        @JsonProperty(required = true) long uid,
        @JsonProperty(required = true) long gid,
        Long umask,
        List<Long> additionalGids,
        String username) {

    public User {
        additionalGids = Copies.list(additionalGids);
    }
}
