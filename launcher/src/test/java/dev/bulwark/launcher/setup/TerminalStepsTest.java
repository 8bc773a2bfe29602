package dev.bulwark.launcher.setup;

import dev.bulwark.config.model.ConsoleSize;
import dev.bulwark.config.model.User;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Kernel;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.Terminals;
import dev.bulwark.nativ.constants.MountApi;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.spawn.SyscallTable;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The child's terminal steps as compiled: their order (the master sent before the session and fds 0-2
 * take the peer) and the message they send, which is handed here to the real kernel: a socket pair carries
 * it, and {@link Terminals#receiveFd} gets runc's data and a working pty master out of it.
 */
class TerminalStepsTest {
    private static final int MASTER = 1000;
    private static final int SOCKET = 17;

    @Test
    void stepsSendTheMasterThenMakeThePeerTheControllingTerminalAndFdsZeroToTwo() {
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try {
            TerminalSteps.compile(steps, SOCKET, MASTER, new ConsoleSize(33, 77), new User(1000, 1000, null, List.of(), null));
            List<String> syscalls = steps.plan().steps().stream().map(PlannedStep::syscall).toList();
            assertEquals(List.of("openat2", "ioctl", "dup3", "close", "ioctl", "ioctl", "ioctl", "fchown", "sendmsg", "close", "setsid",
                    "ioctl", "dup3", "dup3", "dup3", "close", "close"), syscalls);
            SyscallTable.Entry peer = steps.table().entry(6);
            assertEquals(Terminals.TIOCGPTPEER, peer.argument(1));
            for (int fd = 0; fd <= 2; fd++) {
                SyscallTable.Entry dup = steps.table().entry(12 + fd);
                assertEquals(peer.index(), dup.argumentSource(0), "fd " + fd + " is the peer");
                assertEquals(fd, dup.argument(1));
            }
            SyscallTable.Entry send = steps.table().entry(8);
            assertEquals(SOCKET, send.argument(0));
            assertEquals("must return " + TerminalSteps.MESSAGE.length(), send.judgement());
            assertTrue(steps.plan().steps().stream().anyMatch(s -> s.configField().equals("process.consoleSize")));
        } finally {
            steps.table().close();
        }
    }

    @Test
    void thePtmxIsOpenedWithoutFollowingAnySymlinkAndProvenAMasterBeforeItIsUnlocked() {
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try {
            TerminalSteps.compile(steps, SOCKET, MASTER, null, null);
            SyscallTable.Entry open = steps.table().entry(0);
            assertEquals("openat2", steps.plan().steps().get(0).syscall());
            assertEquals(OpenFlags.AT_FDCWD, (int) open.argument(0));
            assertEquals("/dev/pts/ptmx\0", new String(NativeMemory.getBytes(open.argument(1), 14)), "devpts' own node, not the /dev/ptmx symlink");
            long how = open.argument(2);
            assertEquals(OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC, NativeMemory.getLong(how));
            long resolve = NativeMemory.getLong(how + 16);
            assertEquals(MountApi.RESOLVE_NO_SYMLINKS | MountApi.RESOLVE_NO_MAGICLINKS,
                    resolve & (MountApi.RESOLVE_NO_SYMLINKS | MountApi.RESOLVE_NO_MAGICLINKS), "no symlink, no magic link followed");
            assertEquals(MountApi.OPEN_HOW_SIZE, open.argument(3));
            SyscallTable.Entry check = steps.table().entry(1);
            assertEquals(Terminals.TIOCGPTN, check.argument(1), "a ptmx-only ioctl right after the open");
            assertEquals(open.index(), check.argumentSource(0), "on the opened fd");
            int unlock = -1;
            for (int i = 0; i < steps.table().size(); i++) {
                if (steps.table().entry(i).step().startsWith("unlock")) {
                    unlock = i;
                }
            }
            assertEquals(Terminals.TIOCSPTLCK, steps.table().entry(unlock).argument(1));
            assertTrue(check.index() < unlock, "nothing changes the file's state before it is proven a master");
        } finally {
            steps.table().close();
        }
    }

    @Test
    void withoutSizeOrUserNeitherIsSet() {
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try {
            TerminalSteps.compile(steps, SOCKET, MASTER, null, null);
            List<String> names = steps.plan().steps().stream().map(PlannedStep::name).toList();
            assertTrue(names.stream().noneMatch(n -> n.startsWith("set the window size") || n.startsWith("give the terminal")), names.toString());
        } finally {
            steps.table().close();
        }
    }

    @Test
    void theCompiledMessageCarriesRuncsDataAndAWorkingMaster() {
        int ptmx = DirectoryCalls.openat(OpenFlags.AT_FDCWD, "/dev/ptmx", OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC, 0);
        int[] pair = Terminals.streamPair();
        ChildSteps steps = new ChildSteps(new SyscallTable(), -1);
        try {
            TerminalSteps.compile(steps, pair[1], ptmx, null, null); // the master already at the fd the message names
            int sendIndex = steps.plan().steps().stream().filter(s -> s.syscall().equals("sendmsg")).findFirst().orElseThrow().index();
            SyscallTable.Entry send = steps.table().entry(sendIndex);
            long sent = Kernel.raw(SyscallNumbers.host().require("sendmsg"), (int) send.argument(0), send.argument(1), 0, 0, 0);
            assertEquals(TerminalSteps.MESSAGE.length(), sent);
            Terminals.ReceivedFd received = Terminals.receiveFd(pair[0]);
            try {
                assertEquals("/dev/ptmx", received.name());
                assertNotEquals(ptmx, received.fd(), "a new fd for the same master");
                assertTrue(Terminals.isTerminal(received.fd()));
                long unlock = steps.memory().allocate(4);
                Syscalls.ioctl(received.fd(), Terminals.TIOCSPTLCK, unlock);
                int peer = (int) Syscalls.ioctl(received.fd(), Terminals.TIOCGPTPEER, OpenFlags.O_RDWR | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC);
                try {
                    Terminals.setWindowSize(received.fd(), new byte[] {12, 0, 34, 0, 0, 0, 0, 0});
                    byte[] size = Terminals.windowSize(peer);
                    assertEquals(12, size[0]);
                    assertEquals(34, size[2]);
                    byte[] cooked = Terminals.attributes(peer);
                    Terminals.setAttributes(peer, Terminals.raw(cooked));
                    assertNotEquals(java.util.Arrays.toString(cooked), java.util.Arrays.toString(Terminals.attributes(peer)));
                    Terminals.setAttributes(peer, cooked);
                    assertArrayEquals(cooked, Terminals.attributes(peer), "restored exactly");
                    Syscalls.write(peer, "hi\n".getBytes());
                    assertEquals("hi\r\n", new String(Syscalls.read(received.fd(), 16)), "the peer's output through the master");
                } finally {
                    Syscalls.close(peer);
                }
            } finally {
                Syscalls.close(received.fd());
            }
        } finally {
            steps.table().close();
            Syscalls.close(ptmx);
            Syscalls.close(pair[0]);
            Syscalls.close(pair[1]);
        }
    }

    @Test
    void rawModeIsCfmakeraw() {
        byte[] cooked = new byte[36];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(cooked).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(0, 0x100 | 0x400); // ICRNL | IXON
        b.putInt(4, 0x1 | 0x4); // OPOST | ONLCR
        b.putInt(12, 0x1 | 0x2 | 0x8 | 0x8000); // ISIG | ICANON | ECHO | IEXTEN
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.wrap(Terminals.raw(cooked)).order(java.nio.ByteOrder.nativeOrder());
        assertEquals(0, raw.getInt(0));
        assertEquals(0x4, raw.getInt(4), "only OPOST is cleared from the output flags");
        assertEquals(0x30, raw.getInt(8) & 0x30, "CS8");
        assertEquals(0, raw.getInt(12));
        assertEquals(1, raw.get(17 + 6), "VMIN 1");
        assertEquals(0, b.getInt(8), "the input array is left alone");
    }
}
