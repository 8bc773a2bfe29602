package dev.bulwark.nativ.machinecode;

import jnr.x86asm.Assembler;
import jnr.x86asm.Label;
import jnr.x86asm.Mem;
import jnr.x86asm.Register;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.bulwark.nativ.machinecode.TableLayout.*;
import static jnr.x86asm.Asm.*;

/**
 * The only machine code in Bulwark, for x86-64 Linux, written with jnr-ffi's assembler.
 *
 * <p>Why machine code: after {@code clone} the child is a copy of a multithreaded JVM with one thread;
 * any Java it runs can block forever on a lock or safepoint owned by a thread that no longer exists.
 * So the child runs no Java: it executes a table of syscalls prepared by the parent, using registers
 * only, and ends in {@code execve} or in {@code exit_group(127)} after reporting the failing entry.
 * A fork step splits it in two: the process that called fork hands the new pid over and exits 0,
 * and the new process runs the rest of the table; a pid that cannot be handed over is killed first.
 *
 * <p>jnr-x86asm has no label binding and no {@code syscall} mnemonic, so this class adds both: jumps
 * are emitted with a rel32 placeholder and patched once the target is known, and {@code syscall}
 * (0F 05) is written over two placeholder bytes.
 */
public final class X86_64Routines {
    private static final int SYS_WRITE = 1;
    private static final int SYS_CLONE = 56;
    private static final int SYS_KILL = 62;
    private static final int SIGKILL = 9;
    private static final int SYS_EXIT_GROUP = 231;
    private static final int SYS_FUTEX = 202;
    private static final int FUTEX_WAKE_PRIVATE = 1 | 128;
    /** The failure index of the child's first call, the futex wake of the launcher's work thread (no table entry). */
    public static final int WAKE_INDEX = -1;
    private static final int SYS_RT_SIGRETURN = 15;
    private static final int CHILD_EXIT_STATUS = 127;

    private X86_64Routines() {
    }

    /**
     * {@code long syscall5(long nr, long a0, long a1, long a2, long a3, long a4)}: one raw syscall,
     * returning the kernel's value (-errno on failure) without touching libc's thread-local errno.
     */
    public static byte[] syscallThunk() {
        Code c = new Code();
        c.a().mov(rax, rdi); // syscall number (1st C argument) goes in rax
        c.a().mov(rdi, rsi); // C arguments 2..6 shift down into the syscall argument registers
        c.a().mov(rsi, rdx);
        c.a().mov(rdx, rcx);
        c.a().mov(r10, r8);  // the kernel takes the 4th argument in r10, not rcx
        c.a().mov(r8, r9);
        c.a().xor_(r9, r9);  // no 6th argument: pass 0 rather than garbage
        c.syscall();
        c.a().ret();         // rax = result
        return c.bytes();
    }

    /**
     * {@code long cloneAndRun(void *table)}: clones with the table's flags and returns the child's pid
     * (or -errno) in the parent. The child runs the table's entries in order and never returns.
     */
    public static byte[] cloneAndRun() {
        Code c = new Code();
        // --- parent side: save the callee-saved registers we use (System V ABI) ---
        c.a().push(rbx);
        c.a().push(r12);
        c.a().push(r13);
        c.a().push(r15);
        c.a().mov(r12, rdi);                                    // r12 = table base; the kernel preserves it across syscall
        // --- clone(flags, newsp = NULL, parent_tid = &pidfd slot, child_tid = NULL, tls = 0) ---
        c.a().mov(rax, imm(SYS_CLONE));
        c.a().mov(rdi, field(r12, CLONE_FLAGS));
        c.a().xor_(rsi, rsi);                                   // NULL stack: the child continues on a copy of this one
        c.a().lea(rdx, field(r12, PIDFD_SLOT));                 // receives a pidfd when CLONE_PIDFD is set
        c.a().xor_(r10, r10);
        c.a().xor_(r8, r8);
        c.syscall();
        c.a().test(rax, rax);
        c.jump(Jump.JE, "child");                           // 0: we are the child
        c.a().pop(r15);                                         // parent: restore and return pid or -errno
        c.a().pop(r13);
        c.a().pop(r12);
        c.a().pop(rbx);
        c.a().ret();
        // --- child: r13 = current entry, r15 = its index ---
        c.bind("child");
        // futex(&pidfd slot, FUTEX_WAKE_PRIVATE, 1): with CLONE_VM the launcher's work thread sleeps on the slot until
        // the kernel has stored the pidfd there (and installed the fd, both done before the child first runs); this
        // wakes it at once instead of after a timed sleep. Without CLONE_VM it wakes nobody (0 woken is success).
        // A failure is reported as entry WAKE_INDEX (-1).
        // It cannot fail (own, aligned, mapped memory: EFAULT/EINVAL are impossible); it stays checked like every call.
        c.a().mov(r15, imm(WAKE_INDEX));                        // the index a failure would report: -1, no table entry
        c.a().mov(rax, imm(SYS_FUTEX));                         // rax = 202, futex
        c.a().lea(rdi, field(r12, PIDFD_SLOT));                 // rdi = &slot: a u32 at table + 24 (the table is 16-aligned)
        c.a().mov(rsi, imm(FUTEX_WAKE_PRIVATE));                // rsi = FUTEX_WAKE | FUTEX_PRIVATE_FLAG (the waiter waits private)
        c.a().mov(rdx, imm(1));                                 // rdx = wake at most one waiter (the one work thread)
        c.syscall();                                            // r10, r8, r9 are not read by FUTEX_WAKE
        c.a().cmp(rax, imm(-4095));
        c.jump(Jump.JAE, "fail");                           // unsigned >= -4095: the kernel's -errno range
        c.a().lea(r13, field(r12, HEADER_SIZE));
        c.a().xor_(r15, r15);
        c.bind("next");
        c.a().cmp(r15, field(r12, ENTRY_COUNT));
        c.jump(Jump.JAE, "fail");                           // ran off the end without execve: report index = count
        c.a().mov(rdi, field(r13, ENTRY_ARGS));                 // load the six arguments into the syscall registers
        c.a().mov(rsi, field(r13, ENTRY_ARGS + 8));
        c.a().mov(rdx, field(r13, ENTRY_ARGS + 16));
        c.a().mov(r10, field(r13, ENTRY_ARGS + 24));
        c.a().mov(r8, field(r13, ENTRY_ARGS + 32));
        c.a().mov(r9, field(r13, ENTRY_ARGS + 40));
        c.a().mov(rbx, field(r13, ENTRY_FLAGS));                // rbx = flags; bit i set: argument i is a pointer to load through
        Register[] argumentRegisters = {rdi, rsi, rdx, r10, r8, r9};
        for (int i = 0; i < argumentRegisters.length; i++) {
            String direct = "direct" + i;
            c.a().bt(rbx, imm(i));
            c.jump(Jump.JNC, direct);
            c.a().mov(argumentRegisters[i], qword_ptr(argumentRegisters[i], 0)); // e.g. an fd an earlier entry returned
            c.bind(direct);
        }
        c.a().mov(rax, field(r13, ENTRY_NUMBER));
        c.syscall();
        c.a().mov(field(r13, ENTRY_RESULT), rax);               // keep the result for later entries
        // --- a fork step (e.g. after setns into a pid namespace, which only the caller's children enter) ---
        c.a().bt(rbx, imm(FLAG_FORK_BIT));                      // rbx still holds the entry's flags: syscall keeps it
        c.jump(Jump.JNC, "tolerance");                      // not a fork step: judge the result as usual
        c.a().test(rax, rax);
        c.jump(Jump.JLE, "tolerance");                      // 0: the new process goes on with the table; <0: a failure, judged as usual
        c.a().mov(rax, imm(SYS_WRITE));                         // parent side: write(hand-over fd, &result slot, 8)
        c.a().mov(rdi, field(r12, HANDOVER_FD));
        c.a().lea(rsi, field(r13, ENTRY_RESULT));               // the slot holds the new pid, stored just above
        c.a().mov(rdx, imm(HANDOVER_RECORD_SIZE));
        c.syscall();
        c.a().cmp(rax, imm(HANDOVER_RECORD_SIZE));
        c.jump(Jump.JE, "handedOver");
        c.a().mov(rbx, rax);                                    // not handed over: keep write's result (syscall keeps rbx; its flags are no longer needed)
        c.a().mov(rax, imm(SYS_KILL));                          // kill(new pid, SIGKILL): the launcher will never learn, supervise or adopt it
        c.a().mov(rdi, field(r13, ENTRY_RESULT));               // the new pid, from the result slot
        c.a().mov(rsi, imm(SIGKILL));
        c.syscall();                                        // just made, with our credentials: nothing else to try; the failure is reported either way
        c.a().mov(rax, rbx);                                    // report write's result as this entry's failure
        c.jump(Jump.JMP, "fail");
        c.bind("handedOver");
        c.a().mov(rax, imm(SYS_EXIT_GROUP));                    // handed over: this process's part is done
        c.a().xor_(rdi, rdi);                                   // status 0: the launcher reaps it and adopts the new process
        c.syscall();
        c.a().ud2();                                            // unreachable: exit_group does not return
        c.bind("tolerance");
        c.a().cmp(rax, imm(-4095));
        c.jump(Jump.JB, "judge");                           // not in the -errno range: nothing to tolerate
        c.a().mov(rcx, rax);
        c.a().neg(rcx);                                     // rcx = errno (syscall already clobbered rcx)
        c.a().cmp(rcx, imm(TOLERABLE_ERRNO_LIMIT));
        c.jump(Jump.JAE, "judge");
        c.a().bt(field(r13, ENTRY_TOLERATED), rcx);         // bit errno of the tolerated set
        c.jump(Jump.JC, "ok");                              // a tolerated errno (e.g. EEXIST) counts as success
        c.bind("judge");
        c.a().bt(rbx, imm(FLAG_MUST_EQUAL_BIT));
        c.jump(Jump.JC, "mustEqual");
        c.a().cmp(rax, imm(-4095));
        c.jump(Jump.JAE, "fail");                           // unsigned >= -4095: the kernel's -errno range
        c.jump(Jump.JMP, "ok");
        c.bind("mustEqual");
        c.a().cmp(rax, field(r13, ENTRY_EXPECTED));
        c.jump(Jump.JNE, "fail");
        c.bind("ok");
        c.a().add(r13, imm(ENTRY_SIZE));
        c.a().inc(r15);
        c.jump(Jump.JMP, "next");
        // --- failure: write {index, result} to the failure pipe, then exit_group(127) ---
        c.bind("fail");
        c.a().mov(field(r12, FAILED_INDEX), r15);
        c.a().mov(field(r12, FAILED_RESULT), rax);
        c.a().mov(rax, imm(SYS_WRITE));
        c.a().mov(rdi, field(r12, FAILURE_FD));
        c.a().lea(rsi, field(r12, FAILED_INDEX));
        c.a().mov(rdx, imm(FAILURE_RECORD_SIZE));
        c.syscall();                                        // nothing useful to do if this fails: the exit status still says 127
        c.a().mov(rax, imm(SYS_EXIT_GROUP));
        c.a().mov(rdi, imm(CHILD_EXIT_STATUS));
        c.syscall();
        c.a().ud2();                                            // unreachable: exit_group does not return
        return c.bytes();
    }

    /**
     * An async-signal-safe handler that writes the signal number as one byte to {@code pipeFd}, at
     * offset 0, followed by the rt_sigreturn restorer the kernel's x86-64 rt_sigaction requires, at
     * {@link SignalHandlerCode#restorerOffset()}. The JVM reserves some signals (SIGQUIT) for itself;
     * a native handler plus a Java thread reading the pipe forwards all of them the same way.
     */
    public static SignalHandlerCode signalToPipeHandler(int pipeFd) {
        Code c = new Code();
        c.a().push(rdi);                    // signo (1st argument) onto the stack: its low byte is the byte to send
        c.a().mov(rax, imm(SYS_WRITE));
        c.a().mov(rdi, imm(pipeFd));        // the relay pipe's write end (O_NONBLOCK: a full pipe drops, never blocks)
        c.a().mov(rsi, rsp);                // buf = &signo
        c.a().mov(rdx, imm(1));
        c.syscall();                        // the interrupted code's registers come back from the signal frame
        c.a().pop(rdi);
        c.a().ret();
        c.bind("restorer");
        c.a().mov(rax, imm(SYS_RT_SIGRETURN)); // return from the handler through the kernel's signal frame
        c.syscall();
        byte[] code = c.bytes();
        return new SignalHandlerCode(code, c.labels.get("restorer"));
    }

    /** Handler code and where its restorer starts. */
    public record SignalHandlerCode(byte[] code, int restorerOffset) {
    }

    private static Mem field(Register base, int offset) {
        return qword_ptr(base, offset);
    }

    private enum Jump { JE, JNE, JAE, JB, JC, JNC, JLE, JMP }

    /**
     * The assembler plus label fix-ups and the syscall instruction. jnr-x86asm's code buffer never grows
     * past 128 bytes, so the code is assembled in segments, each started before the previous one could
     * overflow; labels and jump displacements use offsets into the concatenated code.
     */
    private static final class Code {
        private static final int SEGMENT_LIMIT = 128 - 16; // an x86 instruction is at most 15 bytes
        private final java.io.ByteArrayOutputStream finished = new java.io.ByteArrayOutputStream();
        private Assembler current = new Assembler(X86_64);
        private final Map<String, Integer> labels = new HashMap<>();
        private final List<Map.Entry<Integer, String>> pendingJumps = new ArrayList<>();

        /** The assembler to emit the next instruction with. */
        Assembler a() {
            if (current.offset() > SEGMENT_LIMIT) {
                finished.writeBytes(segmentBytes());
                current = new Assembler(X86_64);
            }
            return current;
        }

        private int offset() {
            return finished.size() + current.offset();
        }

        void syscall() {
            Assembler a = a();
            int at = a.offset();
            a.int3();
            a.int3();
            a.setWordAt(at, (short) 0x050F); // little-endian 0F 05 = syscall
        }

        /** A jump with a rel32 displacement to {@code label}, patched in {@link #bytes()}. */
        void jump(Jump kind, String label) {
            Assembler a = a();
            Label unbound = new Label();
            switch (kind) {
                case JE -> a.je(unbound, 0);
                case JNE -> a.jne(unbound, 0);
                case JAE -> a.jae(unbound, 0);
                case JB -> a.jb(unbound, 0);
                case JC -> a.jc(unbound, 0);
                case JNC -> a.jnc(unbound, 0);
                case JLE -> a.jle(unbound, 0);
                case JMP -> a.jmp(unbound);
            }
            pendingJumps.add(Map.entry(offset(), label)); // rel32 is the last 4 bytes of the instruction
        }

        void bind(String label) {
            if (labels.putIfAbsent(label, offset()) != null) {
                throw new IllegalStateException("label bound twice: " + label);
            }
        }

        private byte[] segmentBytes() {
            ByteBuffer buffer = ByteBuffer.allocate(current.codeSize());
            current.relocCode(buffer, 0);
            return buffer.array();
        }

        byte[] bytes() {
            finished.writeBytes(segmentBytes());
            current = new Assembler(X86_64);
            ByteBuffer code = ByteBuffer.wrap(finished.toByteArray()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<Integer, String> jump : pendingJumps) {
                Integer target = labels.get(jump.getValue());
                if (target == null) {
                    throw new IllegalStateException("unbound label " + jump.getValue());
                }
                int end = jump.getKey();
                code.putInt(end - 4, target - end);
            }
            return code.array();
        }
    }
}
