package dev.bulwark.launcher.runtime;

import dev.bulwark.nativ.constants.CloneFlags;

/**
 * How the child is cloned. {@code vfork} (the default): CLONE_VM|CLONE_VFORK, the child borrows the
 * JVM's memory and the calling thread sleeps until execve, so a launch costs the same at any heap
 * size. {@code fork}: the child gets a copy of the JVM's memory (its page tables grow with the heap).
 * Choose with {@code -Dbulwark.spawn=fork|vfork} or {@code BULWARK_SPAWN}.
 */
enum SpawnMode {
    VFORK(CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK),
    FORK(0);

    private final long cloneFlags;

    SpawnMode(long cloneFlags) {
        this.cloneFlags = cloneFlags;
    }

    long cloneFlags() {
        return cloneFlags;
    }

    static SpawnMode current() {
        String chosen = System.getProperty("bulwark.spawn", System.getenv().getOrDefault("BULWARK_SPAWN", "vfork"));
        return switch (chosen) {
            case "fork" -> FORK;
            case "vfork" -> VFORK;
            default -> throw new dev.bulwark.launcher.LaunchException("bulwark.spawn: expected fork or vfork, got \"" + chosen + "\"");
        };
    }
}
