/**
 * Semantic validation of a parsed spec. {@link dev.bulwark.config.validation.SpecValidator#validate}
 * returns every {@link dev.bulwark.config.validation.Problem} at once, each as
 * {@code json.path: reason}; {@code requireValid} throws a
 * {@link dev.bulwark.config.validation.ValidationException} listing them one per line.
 * The rules are pure: no filesystem, no kernel probing.
 */
package dev.bulwark.config.validation;
