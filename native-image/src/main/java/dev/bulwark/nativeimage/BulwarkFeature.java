package dev.bulwark.nativeimage;

import org.graalvm.nativeimage.hosted.Feature;
import org.graalvm.nativeimage.hosted.RuntimeClassInitialization;
import org.graalvm.nativeimage.hosted.RuntimeJNIAccess;
import org.graalvm.nativeimage.hosted.RuntimeReflection;
import org.graalvm.nativeimage.hosted.RuntimeResourceAccess;
import org.graalvm.nativeimage.hosted.RuntimeSystemProperties;

import java.lang.reflect.Executable;
import java.util.List;

/**
 * The native image's reflection, JNI and resource metadata, generated from the code at build time
 * ({@code -H:Features=dev.bulwark.nativeimage.BulwarkFeature}, see scripts/build-native) instead of
 * hand-kept JSON files: {@link Registrations} scans Bulwark's packages and walks picocli's command
 * model; jffi's needs are listed here (what its native library looks up through JNI and reflection).
 */
public final class BulwarkFeature implements Feature {
    static final String ROOT_COMMAND = "dev.bulwark.launcher.cli.BulwarkCli";

    @Override
    public String getDescription() {
        return "Registers Bulwark's config model, CLI model, resources and jffi's JNI needs";
    }

    /**
     * Initialised while the image is built, so their state is in the image heap instead of being rebuilt by every
     * launch ({@link BuildTimeModels}): the picocli model of the CLI (picocli, the command classes of
     * {@code dev.bulwark.launcher.cli}) and the config model's Jackson mapper (Jackson, {@code dev.bulwark.config},
     * whose layer makes no syscalls and reads no environment). The launcher's runtime, plan, setup and bindings
     * packages stay initialised at run time: they look at the host.
     */
    static final List<String> BUILD_TIME_PACKAGES = List.of("picocli", "com.fasterxml.jackson", "dev.bulwark.config",
            "dev.bulwark.launcher.cli");

    /**
     * Single classes of the bindings initialised at build time with {@link BuildTimeModels}, which fills their
     * syscall-table caches: their static initialisers only create those (empty) caches, and their tables come from
     * the sources' resources, not from the host ({@code Arch} is a plain enum; which one is the host is still asked
     * at run time).
     */
    static final List<String> BUILD_TIME_CLASSES = List.of("dev.bulwark.nativ.Arch", "dev.bulwark.nativ.SyscallAbi",
            "dev.bulwark.nativ.SyscallNumbers");

    @Override
    public void afterRegistration(AfterRegistrationAccess access) {
        RuntimeClassInitialization.initializeAtBuildTime(BUILD_TIME_PACKAGES.toArray(new String[0]));
        RuntimeClassInitialization.initializeAtBuildTime(BUILD_TIME_CLASSES.toArray(new String[0]));
        RuntimeClassInitialization.initializeAtBuildTime(BuildTimeModels.class);
    }

    @Override
    public void beforeAnalysis(BeforeAnalysisAccess access) {
        Class<?> root = access.findClassByName(ROOT_COMMAND);
        Registrations plan = Registrations.compute(access.getApplicationClassPath(), root, name -> {
            Class<?> found = access.findClassByName(name);
            if (found == null) {
                throw new IllegalStateException("class on the image class path not loadable: " + name);
            }
            return found;
        });
        for (Class<?> type : plan.reflectiveClasses()) {
            registerFully(type);
        }
        RuntimeReflection.register(plan.reflectiveMembers().toArray(new Executable[0]));
        for (String resource : plan.resources()) {
            RuntimeResourceAccess.addResource(root.getModule(), resource);
        }
        registerJacksonRecordSupport();
        registerJffi(access);
        // jffi reads memory through sun.misc.Unsafe: allowed as bin/bulwark allows it on JDK 24+, without the
        // JDK's deprecation warning on every start.
        RuntimeSystemProperties.register("sun.misc.unsafe.memory.access", "allow");
        String commit = System.getProperty("bulwark.commit");
        if (commit != null && !commit.isBlank()) {
            RuntimeSystemProperties.register("bulwark.commit", commit); // for --version, as bin/bulwark passes it to the JVM
        }
    }

    private static void registerFully(Class<?> type) {
        RuntimeReflection.register(type);
        RuntimeReflection.registerAllDeclaredConstructors(type);
        RuntimeReflection.registerAllDeclaredMethods(type);
        RuntimeReflection.registerAllDeclaredFields(type);
        RuntimeReflection.register(type.getDeclaredConstructors());
        RuntimeReflection.register(type.getDeclaredMethods());
        RuntimeReflection.register(type.getDeclaredFields());
        if (type.isRecord()) {
            RuntimeReflection.registerAllRecordComponents(type);
        }
    }

    /** Jackson reads records through java.lang.Class and RecordComponent methods it looks up reflectively (JDK14Util). */
    private static void registerJacksonRecordSupport() {
        try {
            RuntimeReflection.register(Class.class.getMethod("getRecordComponents"), Class.class.getMethod("isRecord"));
            RuntimeReflection.register(java.lang.reflect.RecordComponent.class);
            RuntimeReflection.register(java.lang.reflect.RecordComponent.class.getMethods());
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * jffi: its native library creates these exceptions through JNI ({@code <init>(String)}), and its Java side
     * reads its version, its loader's state, sun.misc.Unsafe and java.lang.ref.Cleaner reflectively.
     */
    private static void registerJffi(BeforeAnalysisAccess access) {
        try {
            for (Class<?> exception : List.of(UnsatisfiedLinkError.class, IndexOutOfBoundsException.class,
                    NullPointerException.class, IllegalArgumentException.class, RuntimeException.class, OutOfMemoryError.class)) {
                RuntimeJNIAccess.register(exception);
                RuntimeJNIAccess.register(exception.getConstructor(String.class));
            }
            Class<?> version = required(access, "com.kenai.jffi.Version");
            RuntimeReflection.register(version);
            RuntimeReflection.register(version.getFields());
            Class<?> stubLoader = required(access, "com.kenai.jffi.internal.StubLoader");
            RuntimeReflection.register(stubLoader);
            RuntimeReflection.register(stubLoader.getDeclaredMethods());
            RuntimeReflection.register(stubLoader.getFields());
            Class<?> unsafe = required(access, "sun.misc.Unsafe");
            RuntimeReflection.register(unsafe);
            RuntimeReflection.register(unsafe.getDeclaredFields());
            RuntimeReflection.register(unsafe.getDeclaredMethods());
            RuntimeReflection.register(java.lang.ref.Cleaner.class, java.lang.ref.Cleaner.Cleanable.class);
            RuntimeReflection.register(java.lang.ref.Cleaner.class.getMethods());
            RuntimeReflection.register(java.lang.ref.Cleaner.Cleanable.class.getMethods());
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> required(BeforeAnalysisAccess access, String name) {
        Class<?> found = access.findClassByName(name);
        if (found == null) {
            throw new IllegalStateException(name + " is not on the image class path");
        }
        return found;
    }
}
