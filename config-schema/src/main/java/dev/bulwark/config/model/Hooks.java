package dev.bulwark.config.model;

import java.util.List;

/** Lifecycle hooks ({@code hooks}); modelled, executed by the launcher (if at all). */
public record Hooks(
        List<Hook> prestart,
        List<Hook> createRuntime,
        List<Hook> createContainer,
        List<Hook> startContainer,
        List<Hook> poststart,
        List<Hook> poststop) {

    public Hooks {
        prestart = Copies.list(prestart);
        createRuntime = Copies.list(createRuntime);
        createContainer = Copies.list(createContainer);
        startContainer = Copies.list(startContainer);
        poststart = Copies.list(poststart);
        poststop = Copies.list(poststop);
    }
}
