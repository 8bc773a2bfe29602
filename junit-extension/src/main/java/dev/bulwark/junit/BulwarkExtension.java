package dev.bulwark.junit;

import dev.bulwark.api.Bulwark;
import dev.bulwark.api.ContainerBuilder;
import dev.bulwark.api.RunningContainer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Starts {@link Container} fields and parameters, closes them through JUnit's store (so after the test or
 * class whatever happened: a failing test, a failing callback), and on a failure attaches every
 * container's output and launch narration to the report: as a suppressed {@link ContainerOutput} on the
 * test's exception and as report entries. Holds no state of its own: everything lives in the contexts'
 * stores, which JUnit keeps per test and per class, so parallel execution is safe.
 */
public final class BulwarkExtension implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback,
        ParameterResolver, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BulwarkExtension.class);
    private static final String STARTED = "containers";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> reason = Bulwark.unsupportedReason();
        return reason.map(r -> ConditionEvaluationResult.disabled("Bulwark cannot run containers on this machine: " + r))
                .orElseGet(() -> ConditionEvaluationResult.enabled("this machine runs containers"));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        for (Field field : containerFields(context.getRequiredTestClass(), true)) {
            start(context, (ContainerFixture) read(field, null));
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field field : containerFields(instance.getClass(), false)) {
                start(context, (ContainerFixture) read(field, instance));
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.isAnnotated(Container.class)
                && parameter.getParameter().getType() == RunningContainer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Container described = parameter.findAnnotation(Container.class).orElseThrow();
        if (described.command().length == 0) {
            throw new ExtensionConfigurationException("@Container on parameter " + parameter.getParameter().getName()
                    + ": give its command, e.g. @Container(command = {\"sleep\", \"60\"})");
        }
        ContainerBuilder builder = Bulwark.container(described.command());
        if (!described.network().isEmpty()) {
            builder.network(described.network());
        }
        for (int port : described.publish()) {
            builder.publish(0, port);
        }
        return start(context, ContainerFixture.of(builder));
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        attachOutput(context, failure);
        throw failure;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        attachOutput(context, failure);
        throw failure;
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        attachOutput(context, failure);
        throw failure;
    }

    private static RunningContainer start(ExtensionContext context, ContainerFixture fixture) {
        Started started = context.getStore(NAMESPACE).getOrComputeIfAbsent(STARTED, key -> new Started(), Started.class);
        started.fixtures.add(fixture); // first: closed even if the start fails half-way
        return fixture.start();
    }

    /** Every container of this test and its enclosing class(es), newest first. */
    private static void attachOutput(ExtensionContext context, Throwable failure) {
        java.util.Set<RunningContainer> containers = new java.util.LinkedHashSet<>(); // a child store also sees its parent's
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Started started = c.get().getStore(NAMESPACE).get(STARTED, Started.class);
            if (started != null) {
                for (ContainerFixture fixture : started.fixtures) {
                    try {
                        containers.add(fixture.container());
                    } catch (IllegalStateException notStarted) {
                        // its start failed: that failure is the test's exception already
                    }
                }
            }
        }
        java.util.Set<String> attached = new java.util.HashSet<>();
        for (Throwable t : failure.getSuppressed()) {
            if (t instanceof ContainerOutput output) {
                attached.add(output.id());
            }
        }
        for (RunningContainer container : containers) {
            if (!attached.add(container.id())) {
                continue; // attached by an earlier handler on the same failure
            }
            String state = container.isRunning() ? "running" : "exit status " + exitStatusOf(container);
            ContainerOutput output = new ContainerOutput(container.id(), state, container.stdoutText(),
                    container.stderrText(), container.explanation());
            failure.addSuppressed(output);
            Map<String, String> entry = new LinkedHashMap<>(); // JUnit refuses blank values: empty output is said so
            entry.put("bulwark.container", container.id() + " (" + state + ")");
            entry.put("bulwark.stdout", orEmpty(container.stdoutText()));
            entry.put("bulwark.stderr", orEmpty(container.stderrText()));
            entry.put("bulwark.launch", orEmpty(container.explanation()));
            context.publishReportEntry(entry);
        }
    }

    private static String orEmpty(String text) {
        return text.isBlank() ? "(empty)" : text;
    }

    private static String exitStatusOf(RunningContainer container) {
        try {
            return Integer.toString(container.exitStatus());
        } catch (RuntimeException e) {
            return "unknown: " + e.getMessage();
        }
    }

    private static List<Field> containerFields(Class<?> type, boolean statics) {
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (field.isAnnotationPresent(Container.class) && Modifier.isStatic(field.getModifiers()) == statics) {
                    if (field.getType() != ContainerFixture.class) {
                        throw new ExtensionConfigurationException("@Container field " + field.getName() + " must be a "
                                + "ContainerFixture (ContainerFixture.of(Bulwark.container(...)))");
                    }
                    fields.add(field);
                }
            }
        }
        return fields;
    }

    private static Object read(Field field, Object instance) {
        try {
            field.setAccessible(true);
            Object value = field.get(instance);
            if (value == null) {
                throw new ExtensionConfigurationException("@Container field " + field.getName() + " is null");
            }
            return value;
        } catch (IllegalAccessException e) {
            throw new ExtensionConfigurationException("@Container field " + field.getName() + ": " + e.getMessage(), e);
        }
    }

    /** The containers one context started: closed by JUnit when the context ends, newest first. */
    private static final class Started implements ExtensionContext.Store.CloseableResource {
        private final List<ContainerFixture> fixtures = new CopyOnWriteArrayList<>();

        @Override
        public void close() {
            RuntimeException first = null;
            for (int i = fixtures.size() - 1; i >= 0; i--) {
                try {
                    fixtures.get(i).close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }
}
