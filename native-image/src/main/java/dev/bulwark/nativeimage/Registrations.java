package dev.bulwark.nativeimage;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What the native image must be able to reach reflectively, computed from the code at build time
 * (plain Java, so a JVM test checks it; {@link BulwarkFeature} hands it to the image builder):
 * <ul>
 *   <li>every class of Bulwark's own packages, with all its constructors, methods, fields and record
 *       components: Jackson binds the config model ({@code dev.bulwark.config.model}) and the records the CLI
 *       prints (state, list, features...), picocli fills the command classes' fields;</li>
 *   <li>picocli's own classes in the command model (the help mixin, {@code help} command, converters), and
 *       the factory methods of JDK option types picocli converts reflectively;</li>
 *   <li>the resources under {@code dev/bulwark/} (the syscall tables).</li>
 * </ul>
 */
record Registrations(Set<Class<?>> reflectiveClasses, Set<Executable> reflectiveMembers, List<String> resources) {
    static final String OWN_PACKAGE = "dev.bulwark";
    /** Jackson-bound: must never come out empty (a scan that finds nothing is a broken build, not an empty model). */
    static final String CONFIG_MODEL_PACKAGE = "dev.bulwark.config.model";
    private static final String THIS_PACKAGE = Registrations.class.getPackageName();

    /**
     * @param classPath   the image's class path (jars and directories)
     * @param rootCommand the picocli {@code @Command} class the native entry point runs
     * @param load        loads a class by binary name without initialising it
     */
    static Registrations compute(List<Path> classPath, Class<?> rootCommand, Function<String, Class<?>> load) {
        Set<Class<?>> classes = new LinkedHashSet<>();
        Set<Executable> members = new LinkedHashSet<>();
        List<String> modelClasses = ClassPathScan.classNames(classPath, CONFIG_MODEL_PACKAGE);
        if (modelClasses.isEmpty()) {
            throw new IllegalStateException("no classes found in " + CONFIG_MODEL_PACKAGE + " on " + classPath);
        }
        for (String name : ClassPathScan.classNames(classPath, OWN_PACKAGE)) {
            if (!name.startsWith(THIS_PACKAGE + ".")) {
                classes.add(load.apply(name));
            }
        }
        addCommandModel(rootCommand, classes, members);
        return new Registrations(classes, members, ClassPathScan.resourceNames(classPath, OWN_PACKAGE));
    }

    /** Walks picocli's model of {@code rootCommand}: commands, mixins, argument groups, option types, converters. */
    private static void addCommandModel(Class<?> rootCommand, Set<Class<?>> classes, Set<Executable> members) {
        Deque<CommandSpec> pending = new ArrayDeque<>();
        pending.add(new CommandLine(rootCommand).getCommandSpec());
        Set<CommandSpec> seen = new LinkedHashSet<>();
        while (!pending.isEmpty()) {
            CommandSpec spec = pending.poll();
            if (!seen.add(spec)) {
                continue;
            }
            addWithSupertypes(spec.userObject().getClass(), classes);
            if (spec.versionProvider() != null) {
                addWithSupertypes(spec.versionProvider().getClass(), classes);
            }
            spec.subcommands().values().forEach(sub -> pending.add(sub.getCommandSpec()));
            pending.addAll(spec.mixins().values());
            for (ArgSpec arg : spec.args()) {
                addArgument(arg, classes, members);
            }
            Deque<ArgGroupSpec> groups = new ArrayDeque<>(spec.argGroups());
            while (!groups.isEmpty()) {
                ArgGroupSpec group = groups.poll();
                addWithSupertypes(group.typeInfo().getType(), classes);
                groups.addAll(group.subgroups());
            }
        }
    }

    private static void addArgument(ArgSpec arg, Set<Class<?>> classes, Set<Executable> members) {
        for (CommandLine.ITypeConverter<?> converter : arg.converters()) {
            addWithSupertypes(converter.getClass(), classes);
        }
        Set<Class<?>> types = new LinkedHashSet<>();
        types.add(arg.type());
        types.addAll(List.of(arg.auxiliaryTypes()));
        for (Class<?> type : types) {
            if (type.isEnum()) {
                classes.add(type);
            } else if (type.getName().startsWith("java.") && !type.isPrimitive() && type != String.class) {
                addFactoryMethods(type, members);
            }
        }
    }

    /** picocli converts JDK types it cannot name at compile time (java.time, java.nio.file) through factory methods found by reflection. */
    private static void addFactoryMethods(Class<?> type, Set<Executable> members) {
        List<Class<?>> owners = type == Path.class ? List.of(Path.class, java.nio.file.Paths.class) : List.of(type);
        for (Class<?> owner : owners) {
            for (Method method : owner.getMethods()) {
                if (Modifier.isStatic(method.getModifiers()) && List.of("parse", "of", "valueOf", "get").contains(method.getName())) {
                    members.add(method);
                }
            }
        }
    }

    private static void addWithSupertypes(Class<?> type, Set<Class<?>> classes) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            classes.add(c);
        }
    }
}
