package dev.bulwark.junit;

import dev.bulwark.api.ContainerBuilder;
import dev.bulwark.api.RunningContainer;

/**
 * A container for a {@link Container} field: described now, started by the extension before the tests
 * that use it and closed after them. Safe to read from parallel tests.
 */
public final class ContainerFixture implements AutoCloseable {
    private final ContainerBuilder builder;
    private volatile RunningContainer running;

    private ContainerFixture(ContainerBuilder builder) {
        this.builder = builder.explain(true); // its narration goes into a failing test's report
    }

    public static ContainerFixture of(ContainerBuilder builder) {
        return new ContainerFixture(builder);
    }

    /** Starts it unless it runs; the extension calls this. */
    synchronized RunningContainer start() {
        if (running == null) {
            running = builder.start();
        }
        return running;
    }

    /** The started container; fails outside the tests the extension started it for. */
    public RunningContainer container() {
        RunningContainer started = running;
        if (started == null) {
            throw new IllegalStateException("this container is not started: is the test class annotated with @BulwarkTest "
                    + "and the field with @Container?");
        }
        return started;
    }

    /** The host port published for {@code containerPort}. */
    public int hostPort(int containerPort) {
        return container().hostPort(containerPort);
    }

    @Override
    public synchronized void close() {
        if (running != null) {
            running.close();
            running = null;
        }
    }
}
