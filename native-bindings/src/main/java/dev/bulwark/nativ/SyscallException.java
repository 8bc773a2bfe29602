package dev.bulwark.nativ;

import java.util.List;

/**
 * A failed system call: the operation, the arguments as the caller wants them shown, and the errno.
 * The message reads like strace: {@code mount("proc", "/x/proc", "proc", 0x6): EPERM (Operation not permitted)}.
 */
public final class SyscallException extends RuntimeException {
    private final String operation;
    private final List<String> arguments;
    private final int errno;

    public SyscallException(String operation, List<String> arguments, int errno) {
        super(operation + "(" + String.join(", ", arguments) + "): " + Errno.describe(errno));
        this.operation = operation;
        this.arguments = List.copyOf(arguments);
        this.errno = errno;
    }

    public String operation() {
        return operation;
    }

    public List<String> arguments() {
        return arguments;
    }

    public int errno() {
        return errno;
    }

    public String errnoName() {
        return Errno.name(errno);
    }
}
