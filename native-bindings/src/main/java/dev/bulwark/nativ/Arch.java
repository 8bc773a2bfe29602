package dev.bulwark.nativ;

import java.util.Locale;

/** CPU architectures Bulwark knows syscall numbers for. */
public enum Arch {
    X86_64("x86_64"),
    AARCH64("aarch64");

    private final String resourceName;

    Arch(String resourceName) {
        this.resourceName = resourceName;
    }

    /** Base name of the syscall-number resource for this architecture. */
    public String resourceName() {
        return resourceName;
    }

    /** The architecture this JVM runs on, or empty when Bulwark has no tables for it. */
    public static java.util.Optional<Arch> host() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> java.util.Optional.of(X86_64);
            case "aarch64", "arm64" -> java.util.Optional.of(AARCH64);
            default -> java.util.Optional.empty();
        };
    }

    /** The host architecture, or an error naming the unsupported one. */
    public static Arch requireHost() {
        return host().orElseThrow(() -> new UnsupportedOperationException(
                "architecture " + System.getProperty("os.arch") + " is not supported (x86_64 and aarch64 are)"));
    }
}
