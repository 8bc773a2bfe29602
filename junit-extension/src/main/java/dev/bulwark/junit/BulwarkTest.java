package dev.bulwark.junit;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class whose {@link Container} fields and parameters are Bulwark containers: started before
 * they are used, always closed after (killed, state removed), their output and launch narration
 * attached to a failing test's report. On a machine that cannot run containers (no user namespaces)
 * every test is skipped with the reason.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(BulwarkExtension.class)
public @interface BulwarkTest {
}
