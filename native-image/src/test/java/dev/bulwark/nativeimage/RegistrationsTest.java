package dev.bulwark.nativeimage;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.cli.BulwarkCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native image's reflection metadata covers what Jackson and picocli reach: checked here on the JVM
 * against independent enumerations (the model's source files, the model's field types, picocli's
 * command tree), so a new config class or command cannot silently break the native launcher.
 */
class RegistrationsTest {
    private static Registrations plan;

    @BeforeAll
    static void computePlan() {
        List<Path> classPath = Arrays.stream(System.getProperty("java.class.path").split(":")).map(Path::of).toList();
        ClassLoader loader = RegistrationsTest.class.getClassLoader();
        plan = Registrations.compute(classPath, BulwarkCli.class, name -> {
            try {
                return Class.forName(name, false, loader);
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void everyClassDeclaredInTheModelSourcesIsRegistered() throws IOException {
        Path sources = repositoryRoot().resolve("config-schema/src/main/java/dev/bulwark/config/model");
        Set<String> missing = new TreeSet<>();
        int count = 0;
        try (Stream<Path> files = Files.list(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("package-info.java")).toList()) {
                String name = "dev.bulwark.config.model." + file.getFileName().toString().replace(".java", "");
                Deque<Class<?>> pending = new ArrayDeque<>(List.of(load(name)));
                while (!pending.isEmpty()) {
                    Class<?> type = pending.poll();
                    count++;
                    if (!plan.reflectiveClasses().contains(type)) {
                        missing.add(type.getName());
                    }
                    pending.addAll(List.of(type.getDeclaredClasses()));
                }
            }
        }
        assertTrue(count > 30, "found only " + count + " model classes in " + sources);
        assertEquals(Set.of(), missing, "model classes the native image could not bind");
    }

    @Test
    void everyBulwarkTypeReachableFromTheSpecIsRegistered() {
        Set<Class<?>> seen = new HashSet<>();
        Deque<Type> pending = new ArrayDeque<>(List.of(Spec.class));
        Set<String> missing = new TreeSet<>();
        while (!pending.isEmpty()) {
            Type type = pending.poll();
            if (type instanceof ParameterizedType parameterized) {
                pending.add(parameterized.getRawType());
                pending.addAll(List.of(parameterized.getActualTypeArguments()));
            } else if (type instanceof Class<?> c && c.getName().startsWith("dev.bulwark.") && seen.add(c)) {
                if (!plan.reflectiveClasses().contains(c)) {
                    missing.add(c.getName());
                }
                for (Field field : c.getDeclaredFields()) {
                    pending.add(field.getGenericType());
                }
            }
        }
        assertTrue(seen.size() > 20, "walked only " + seen);
        assertEquals(Set.of(), missing);
    }

    @Test
    void everyCommandAndPicocliHelperIsRegistered() {
        Deque<CommandLine> pending = new ArrayDeque<>(List.of(new CommandLine(BulwarkCli.class)));
        Set<String> missing = new TreeSet<>();
        int commands = 0;
        while (!pending.isEmpty()) {
            CommandLine command = pending.poll();
            commands++;
            Class<?> type = command.getCommandSpec().userObject().getClass();
            if (!plan.reflectiveClasses().contains(type)) {
                missing.add(type.getName());
            }
            command.getCommandSpec().mixins().values().forEach(mixin -> {
                if (!plan.reflectiveClasses().contains(mixin.userObject().getClass())) {
                    missing.add(mixin.userObject().getClass().getName());
                }
            });
            pending.addAll(command.getSubcommands().values());
        }
        assertTrue(commands > 10, "walked only " + commands + " commands");
        assertTrue(plan.reflectiveClasses().contains(CommandLine.HelpCommand.class));
        assertEquals(Set.of(), missing);
    }

    @Test
    void resourcesIncludeTheSyscallTablesAndNothingOfTheFeatureItself() {
        assertTrue(plan.resources().contains("dev/bulwark/nativ/syscalls/x86_64.txt"), plan.resources().toString());
        assertFalse(plan.reflectiveClasses().contains(NativeMain.class));
        assertFalse(plan.reflectiveClasses().contains(BulwarkFeature.class));
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, RegistrationsTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    private static Path repositoryRoot() {
        for (Path candidate : List.of(Path.of(".."), Path.of("."))) {
            if (Files.isDirectory(candidate.resolve("config-schema/src/main/java"))) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new AssertionError("repository root not found from " + Path.of("").toAbsolutePath());
    }
}
