package dev.bulwark.config.model;

import java.util.List;

/** One hook command; {@code timeout} in seconds. */
public record Hook(String path, List<String> args, List<String> env, Integer timeout) {
    public Hook {
        args = Copies.list(args);
        env = Copies.list(env);
    }
}
