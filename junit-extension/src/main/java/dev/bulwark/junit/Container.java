package dev.bulwark.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link ContainerFixture} field: a static field's container runs for the whole class, an instance
 * field's for one test. On a {@code RunningContainer} parameter of a test method: a container described
 * by this annotation's attributes, for that test.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Container {
    /** A parameter's command (required on parameters; ignored on fields, whose fixture says it). */
    String[] command() default {};

    /** A parameter's network mode: loopback (default), none, host, pasta. */
    String network() default "";

    /** A parameter's published container ports (tcp, each on a free host port; needs network "pasta"). */
    int[] publish() default {};
}
