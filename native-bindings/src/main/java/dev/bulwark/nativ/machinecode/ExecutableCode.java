package dev.bulwark.nativ.machinecode;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.PageManager;
import com.kenai.jffi.Type;

/**
 * Machine code copied into its own pages, which are then made read+execute (never writable and
 * executable at once), and called through jffi as a C function taking and returning longs.
 * Lives as long as the JVM: the routines are tiny and loaded once.
 */
public final class ExecutableCode {
    private static final Invoker INVOKER = Invoker.getInstance();

    private final long address;
    private final CallContext context;

    private ExecutableCode(long address, CallContext context) {
        this.address = address;
        this.context = context;
    }

    /** Loads {@code code} as a function of {@code parameterCount} long parameters returning long. */
    public static ExecutableCode load(byte[] code, int parameterCount) {
        PageManager pages = PageManager.getInstance();
        int pageCount = (int) ((code.length + pages.pageSize() - 1) / pages.pageSize());
        long address = pages.allocatePages(pageCount, PageManager.PROT_READ | PageManager.PROT_WRITE);
        if (address == 0) {
            throw new IllegalStateException("could not allocate " + pageCount + " page(s) for machine code");
        }
        MemoryIO.getInstance().putByteArray(address, code, 0, code.length);
        pages.protectPages(address, pageCount, PageManager.PROT_READ | PageManager.PROT_EXEC);
        Type[] parameters = new Type[parameterCount];
        java.util.Arrays.fill(parameters, Type.SINT64);
        CallContext context = CallContext.getCallContext(Type.SINT64, parameters, CallingConvention.DEFAULT, false);
        return new ExecutableCode(address, context);
    }

    /** Address of the first instruction, e.g. for a signal handler. */
    public long address() {
        return address;
    }

    public long call(long a0) {
        return INVOKER.invokeN1(context, address, a0);
    }

    public long call(long a0, long a1, long a2, long a3, long a4, long a5) {
        return INVOKER.invokeN6(context, address, a0, a1, a2, a3, a4, a5);
    }
}
