package dev.bulwark.launcher.audit;

/** The verdict on one benchmark item: FAIL weakens isolation from the host, WARN departs from the guidance. */
public enum Status {
    PASS,
    WARN,
    FAIL
}
