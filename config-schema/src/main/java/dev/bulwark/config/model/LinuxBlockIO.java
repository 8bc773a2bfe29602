package dev.bulwark.config.model;

import java.util.List;

/** Block I/O controls ({@code linux.resources.blockIO}); weights 10..1000. */
public record LinuxBlockIO(
        Integer weight,
        Integer leafWeight,
        List<LinuxWeightDevice> weightDevice,
        List<LinuxThrottleDevice> throttleReadBpsDevice,
        List<LinuxThrottleDevice> throttleWriteBpsDevice,
        List<LinuxThrottleDevice> throttleReadIOPSDevice,
        List<LinuxThrottleDevice> throttleWriteIOPSDevice) {

    public LinuxBlockIO {
        weightDevice = Copies.list(weightDevice);
        throttleReadBpsDevice = Copies.list(throttleReadBpsDevice);
        throttleWriteBpsDevice = Copies.list(throttleWriteBpsDevice);
        throttleReadIOPSDevice = Copies.list(throttleReadIOPSDevice);
        throttleWriteIOPSDevice = Copies.list(throttleWriteIOPSDevice);
    }
}
