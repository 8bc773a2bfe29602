package dev.bulwark.nativ.machinecode;

/**
 * Byte layout of the syscall table that {@link X86_64Routines#cloneAndRun} executes in the child.
 * Shared by the Java writer and the machine code, so it lives in one place.
 *
 * <pre>
 * header (64 bytes)
 *   +0   clone flags (including the exit signal, SIGCHLD)
 *   +8   fd the child writes its failure record to (O_CLOEXEC pipe)
 *   +16  number of entries
 *   +24  pidfd slot: clone's parent_tid pointer, filled by the kernel when CLONE_PIDFD is set
 *   +32  failure record: index of the failing entry
 *   +40  failure record: its result (a negative errno, or the unexpected value)
 *   +48  hand-over fd: where the parent side of a fork step writes the new pid (8 bytes) before it exits
 * The child writes only the header's failure record and the entries' result slots.
 * entries (96 bytes each), from +64
 *   +0   syscall number
 *   +8   six arguments
 *   +56  flags: bit i (0..5) = argument i is the address of a 64-bit value to load at run time;
 *        bit 8 = the result must equal the expected value (otherwise: must not be -4095..-1)
 *        bit 9 = a fork step: a positive result is the new process's pid, and the caller (the
 *                parent side) writes it to the hand-over fd and exits 0; the new process (result 0)
 *                goes on with the next entry; a failure is judged as for any entry. If the hand-over
 *                write does not write 8 bytes, the caller kills the new process and reports the fork
 *                step as failed with write's result
 *   +64  expected value (with bit 8)
 *   +72  tolerated errnos: bit n set = failing with errno n counts as success (e.g. EEXIST for mkdir)
 *   +80  result slot: the kernel's return value, for later entries to load
 * </pre>
 */
public final class TableLayout {
    public static final int HEADER_SIZE = 64;
    public static final int CLONE_FLAGS = 0;
    public static final int FAILURE_FD = 8;
    public static final int ENTRY_COUNT = 16;
    public static final int PIDFD_SLOT = 24;
    public static final int FAILED_INDEX = 32;
    public static final int FAILED_RESULT = 40;
    public static final int HANDOVER_FD = 48;
    /** Size of the failure record the child writes: index and result, 8 bytes each. */
    public static final int FAILURE_RECORD_SIZE = 16;

    public static final int ENTRY_SIZE = 96;
    public static final int ENTRY_NUMBER = 0;
    public static final int ENTRY_ARGS = 8;
    public static final int ENTRY_FLAGS = 56;
    public static final int ENTRY_EXPECTED = 64;
    public static final int ENTRY_TOLERATED = 72;
    public static final int ENTRY_RESULT = 80;

    public static final int FLAG_MUST_EQUAL_BIT = 8;
    public static final int FLAG_FORK_BIT = 9;
    /** What the parent side of a fork step writes to the hand-over fd: the new pid as a 64-bit value. */
    public static final int HANDOVER_RECORD_SIZE = 8;
    /** Errnos a tolerated-set bit can name: 1..63 (all the ones setup steps tolerate are small). */
    public static final int TOLERABLE_ERRNO_LIMIT = 64;

    private TableLayout() {
    }
}
