package dev.bulwark.launcher.cgroup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/** Reads and writes of cgroupfs and procfs files, with errors that name the file. */
final class CgroupFiles {
    private CgroupFiles() {}

    /**
     * Reads a whole pseudo file through a stream: procfs and cgroupfs may report a size of 0 or
     * return short reads, so nothing here trusts the file size.
     */
    static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** One write(2) of the value, without O_CREAT or O_TRUNC: the kernel parses each write as a whole. */
    static void write(Path file, String value) throws IOException {
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
            out.write(value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The space-separated names in cgroup.controllers or cgroup.subtree_control. */
    static Set<String> readNameList(Path file) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (String name : read(file).trim().split("\\s+")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    /** The PIDs listed in a cgroup.procs file, one per line. */
    static Set<Long> readPids(Path cgroupProcs) throws IOException {
        Set<Long> pids = new java.util.HashSet<>();
        for (String line : read(cgroupProcs).split("\n")) {
            if (!line.isBlank()) {
                pids.add(Long.parseLong(line.strip()));
            }
        }
        return pids;
    }

    /** The kernel's reason for a failed access ("Device or resource busy"), else the exception text. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
