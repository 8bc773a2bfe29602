package dev.bulwark.launcher.audit;

/**
 * One checked item of the audit.
 *
 * @param item   the CIS Docker Benchmark v1.6.0 item number ("5.4"), or Bulwark's own ("B1")
 * @param title  what the item asks for, in a few words
 * @param field  the config field it reads ("process.capabilities")
 * @param status the verdict
 * @param found  what the config has, in one sentence
 * @param risk   what an attacker gains when the item is not met, in one sentence
 * @param fix    the change to the config that meets the item, in one sentence
 * @param topic  the {@code bulwark explain} topic about the mechanism
 */
public record Finding(String item, String title, String field, Status status, String found, String risk, String fix,
                      String topic) {

    /** The same item with a verdict and what was found. */
    Finding with(Status newStatus, String newFound) {
        return new Finding(item, title, field, newStatus, newFound, risk, fix, topic);
    }
}
