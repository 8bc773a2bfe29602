package dev.bulwark.launcher.cli;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.model.LinuxIdMapping;
import picocli.CommandLine;

/** {@code --host-id-range START[:SIZE]}: the host ids container ids 0.. map onto when running as root. */
final class HostIdRange implements CommandLine.ITypeConverter<LinuxIdMapping> {
    /** The highest host id a range may reach: 4294967295 is the kernel's "no id". */
    private static final long LAST_ID = 0xFFFF_FFFEL;

    static LinuxIdMapping defaultRange() {
        return new LinuxIdMapping(0, DefaultsOptions.DEFAULT_HOST_ID_START, DefaultsOptions.DEFAULT_ID_RANGE_SIZE);
    }

    @Override
    public LinuxIdMapping convert(String value) {
        int colon = value.indexOf(':');
        long start = number(colon < 0 ? value : value.substring(0, colon), "START", value);
        long size = colon < 0 ? DefaultsOptions.DEFAULT_ID_RANGE_SIZE : number(value.substring(colon + 1), "SIZE", value);
        if (start <= 0 || size <= 0) {
            throw new CommandLine.TypeConversionException(
                    "START and SIZE must be positive (host root is never a default), got \"" + value + "\"");
        }
        if (start > LAST_ID || size > LAST_ID - start + 1) {
            throw new CommandLine.TypeConversionException("the range must end at host id " + LAST_ID + " or below, got \""
                    + value + "\"");
        }
        return new LinuxIdMapping(0, start, size);
    }

    private static long number(String text, String part, String value) {
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9') || text.length() > 18) {
            throw new CommandLine.TypeConversionException("expected START[:SIZE] as decimal numbers, " + part
                    + " is missing or not a number in \"" + value + "\"");
        }
        return Long.parseLong(text);
    }
}
