package dev.bulwark.nativeimage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Lists what a class path holds under a package, from its jars and directories (not from a class
 * loader, which cannot enumerate a package): so a class added to a scanned package is registered
 * without anyone listing it.
 */
final class ClassPathScan {
    private ClassPathScan() {
    }

    /** Binary names of the classes (nested ones included) whose package is {@code packageName} or beneath it. */
    static List<String> classNames(List<Path> classPath, String packageName) {
        List<String> names = new ArrayList<>();
        for (String entry : entries(classPath, packageName.replace('.', '/') + "/")) {
            if (entry.endsWith(".class") && !entry.endsWith("module-info.class") && !entry.endsWith("package-info.class")) {
                names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
            }
        }
        return names;
    }

    /** Paths of the non-class files (resources) under {@code packageName}, as getResource names them without the leading slash. */
    static List<String> resourceNames(List<Path> classPath, String packageName) {
        return entries(classPath, packageName.replace('.', '/') + "/").stream()
                .filter(entry -> !entry.endsWith(".class") && !entry.endsWith("/")).toList();
    }

    private static TreeSet<String> entries(List<Path> classPath, String prefix) {
        TreeSet<String> found = new TreeSet<>();
        for (Path element : classPath) {
            try {
                if (Files.isDirectory(element)) {
                    Path base = element.resolve(prefix);
                    if (Files.isDirectory(base)) {
                        try (Stream<Path> walk = Files.walk(base)) {
                            walk.filter(Files::isRegularFile)
                                    .forEach(file -> found.add(element.relativize(file).toString().replace('\\', '/')));
                        }
                    }
                } else if (Files.isRegularFile(element) && element.toString().endsWith(".jar")) {
                    try (JarFile jar = new JarFile(element.toFile())) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                            String name = e.nextElement().getName();
                            if (name.startsWith(prefix)) {
                                found.add(name);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("scanning " + element + " for " + prefix, e);
            }
        }
        return found;
    }
}
