package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What the launches of one embedder (a Java API builder started again and again) need not redo when their config
 * has not changed: the effective config's validation, and exec-config.json made from it. Each slot remembers the
 * last config it saw, compared by content ({@code equals}: the config is an immutable record), so a changed config
 * is validated and written afresh. Thread-safe: a slot holds one immutable entry, replaced whole; launches on many
 * threads at once at worst do the work twice. One per embedder instance, never static.
 */
public final class LaunchMemo {
    private final AtomicReference<Spec> validated = new AtomicReference<>();
    private final AtomicReference<Recorded> execConfig = new AtomicReference<>();

    /** An exec-config.json and the config it was written from; the bytes never leave this class but as copies. */
    private record Recorded(ExecConfig config, byte[] json) {
    }

    /** Whether {@code spec} passed validation in an earlier launch (the same config, field for field). */
    boolean isValidated(Spec spec) {
        Spec last = validated.get();
        return last != null && last.equals(spec);
    }

    /** {@code spec} passed validation. */
    void validated(Spec spec) {
        validated.set(spec);
    }

    /** {@link ExecConfig#toJson} of {@code config}, written again only when it differs from the last one's. */
    byte[] execConfigJson(ExecConfig config) {
        Recorded last = execConfig.get();
        if (last != null && last.config().equals(config)) {
            return last.json().clone();
        }
        byte[] json = config.toJson();
        execConfig.set(new Recorded(config, json.clone()));
        return json;
    }
}
