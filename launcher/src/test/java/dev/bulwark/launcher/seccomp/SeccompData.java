package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SeccompAbi;

/** {@code struct seccomp_data} as the kernel hands it to a filter on a little-endian machine. */
record SeccompData(int nr, int arch, long instructionPointer, long[] args) {
    SeccompData {
        if (args.length != 6) {
            throw new IllegalArgumentException("seccomp_data has six arguments");
        }
        args = args.clone();
    }

    static SeccompData of(int arch, int nr, long... args) {
        long[] all = new long[6];
        System.arraycopy(args, 0, all, 0, args.length);
        return new SeccompData(nr, arch, 0, all);
    }

    /** The 32-bit word at {@code offset}, as {@code BPF_LD|BPF_W|BPF_ABS} reads it. */
    int word(int offset) {
        if (offset < 0 || offset % 4 != 0 || offset >= SeccompAbi.SECCOMP_DATA_SIZE) {
            throw new IllegalArgumentException("misaligned or out-of-range load at " + offset);
        }
        if (offset == SeccompAbi.SECCOMP_DATA_NR_OFFSET) {
            return nr;
        }
        if (offset == SeccompAbi.SECCOMP_DATA_ARCH_OFFSET) {
            return arch;
        }
        long value = offset < SeccompAbi.SECCOMP_DATA_ARGS_OFFSET ? instructionPointer
                : args[(offset - SeccompAbi.SECCOMP_DATA_ARGS_OFFSET) / 8];
        return offset % 8 == 0 ? (int) value : (int) (value >>> 32);
    }
}
