package dev.bulwark.it;

import java.io.IOException;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Who runs the launcher: host root, or the unprivileged user the test set-up creates. */
public enum Mode {
    ROOT, ROOTLESS;

    public static final String ROOTLESS_USER = "bulwark-test";

    /** Skips (with the reason) when this machine cannot run the mode. */
    public void assumeAvailable() {
        assumeTrue(isRoot(), "the tests launch containers as root and as " + ROOTLESS_USER + "; run them as root");
        if (this == ROOTLESS) {
            assumeTrue(rootlessUid() > 0, "user " + ROOTLESS_USER + " does not exist; run scripts/setup-test-host");
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The rootless user's uid, or -1 when it does not exist. */
    public static int rootlessUid() {
        return idOf("-u");
    }

    public static int rootlessGid() {
        return idOf("-g");
    }

    private static int idOf(String flag) {
        try {
            Process p = new ProcessBuilder("id", flag, ROOTLESS_USER).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Integer.parseInt(out) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
