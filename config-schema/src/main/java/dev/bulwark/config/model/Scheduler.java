package dev.bulwark.config.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** {@code sched_setattr(2)} parameters ({@code process.scheduler}); times in nanoseconds. */
public record Scheduler(
        @JsonProperty(required = true) String policy,
        Integer nice,
        Integer priority,
        List<String> flags,
        Long runtime,
        Long deadline,
        Long period) {

    public Scheduler {
        flags = Copies.list(flags);
    }
}
