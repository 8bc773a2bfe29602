package dev.bulwark.launcher.seccomp;

import dev.bulwark.nativ.SeccompAbi;
import java.util.Arrays;
import java.util.Optional;

/** A seccomp action with its errno (for ERRNO) or tracer message (for TRACE). */
public record SeccompAction(Kind kind, int data) {
    /** errno value used when a config gives none (runtime-spec: "defaults to EPERM"). */
    public static final int EPERM = 1;
    /** Largest value an errno action can carry; the kernel clamps larger ones to this. */
    public static final int MAX_ERRNO = 4095;

    public static final SeccompAction ALLOW = new SeccompAction(Kind.ALLOW, 0);
    public static final SeccompAction KILL_PROCESS = new SeccompAction(Kind.KILL_PROCESS, 0);

    /** The OCI action names this compiler supports ({@code SCMP_ACT_NOTIFY} is not among them). */
    public enum Kind {
        KILL("SCMP_ACT_KILL", SeccompAbi.SECCOMP_RET_KILL_THREAD),
        KILL_THREAD("SCMP_ACT_KILL_THREAD", SeccompAbi.SECCOMP_RET_KILL_THREAD),
        KILL_PROCESS("SCMP_ACT_KILL_PROCESS", SeccompAbi.SECCOMP_RET_KILL_PROCESS),
        TRAP("SCMP_ACT_TRAP", SeccompAbi.SECCOMP_RET_TRAP),
        ERRNO("SCMP_ACT_ERRNO", SeccompAbi.SECCOMP_RET_ERRNO),
        TRACE("SCMP_ACT_TRACE", SeccompAbi.SECCOMP_RET_TRACE),
        LOG("SCMP_ACT_LOG", SeccompAbi.SECCOMP_RET_LOG),
        ALLOW("SCMP_ACT_ALLOW", SeccompAbi.SECCOMP_RET_ALLOW);

        private final String ociName;
        private final int returnValue;

        Kind(String ociName, int returnValue) {
            this.ociName = ociName;
            this.returnValue = returnValue;
        }

        public String ociName() {
            return ociName;
        }

        /** Whether the action carries an errno-style value ({@code errnoRet}). */
        public boolean takesErrno() {
            return this == ERRNO || this == TRACE;
        }

        public static Optional<Kind> fromOciName(String name) {
            return Arrays.stream(values()).filter(kind -> kind.ociName.equals(name)).findFirst();
        }
    }

    public SeccompAction {
        if (data != 0 && !kind.takesErrno()) {
            throw new IllegalArgumentException(kind.ociName + " carries no errno");
        }
        if (data < 0 || data > MAX_ERRNO) {
            throw new IllegalArgumentException("errno " + data + " is outside 0.." + MAX_ERRNO);
        }
    }

    public static SeccompAction errno(int errno) {
        return new SeccompAction(Kind.ERRNO, errno);
    }

    /** The 32-bit value the filter returns to the kernel. */
    public int returnValue() {
        return kind.returnValue | data;
    }
}
