/**
 * The container's setup, compiled in the parent: each class turns one concern of the config
 * (rootfs and mounts, masked paths, capabilities, seccomp, Landlock, process attributes) into named
 * steps of the child's syscall table. Nothing here runs in the child: between clone and execve the
 * child only runs the compiled table (see {@code dev.bulwark.nativ.spawn.SyscallTable}).
 */
package dev.bulwark.launcher.setup;
