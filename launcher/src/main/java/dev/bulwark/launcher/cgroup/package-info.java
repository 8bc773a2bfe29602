/**
 * cgroup v2 resource limits for containers: {@link dev.bulwark.launcher.cgroup.CgroupPlanner}
 * turns OCI {@code linux.resources} into a {@link dev.bulwark.launcher.cgroup.CgroupPlan} without
 * writing anything, {@link dev.bulwark.launcher.cgroup.CgroupPlan#create()} makes the cgroup, and
 * {@link dev.bulwark.launcher.cgroup.ContainerCgroup} adds processes, reads events and stats,
 * kills and removes. Only the unified (v2) hierarchy is supported; v1 controllers on hybrid hosts
 * are never touched.
 */
package dev.bulwark.launcher.cgroup;
