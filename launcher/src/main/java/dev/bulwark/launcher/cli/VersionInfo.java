package dev.bulwark.launcher.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code --version}: as runc prints it, version, commit and the runtime-spec version. */
final class VersionInfo implements CommandLine.IVersionProvider {
    static final String VERSION = "0.1.0";
    static final String SPEC_VERSION = "1.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"bulwark version " + VERSION, "commit: " + commit(), "spec: " + SPEC_VERSION};
    }

    /** The commit scripts/build recorded (bin/bulwark passes -Dbulwark.commit), else bulwark-build.properties, else "unknown". */
    private static String commit() {
        String recorded = System.getProperty("bulwark.commit");
        if (recorded != null && !recorded.isBlank()) {
            return recorded;
        }
        try (InputStream in = VersionInfo.class.getResourceAsStream("/bulwark-build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("commit", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
