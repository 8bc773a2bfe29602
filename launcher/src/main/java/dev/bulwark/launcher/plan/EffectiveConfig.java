package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.Profile;
import dev.bulwark.launcher.plan.TiniInit;
import dev.bulwark.launcher.runtime.LaunchPlan;
import dev.bulwark.launcher.setup.LsmSteps;

/**
 * What {@code run} and {@code create} launch: the config validated as written, lifted by the selected
 * profile, with tini when asked for, and its LSM labels decided against the host probed once.
 *
 * @param spec            the config to launch
 * @param hostRootAllowed the oci profile runs what the config says, host root included (as runc does);
 *                        hardened asks for confirmation ({@code --allow-host-root})
 * @param lsm             the host's LSMs, probed once: the labels decided here and the child's steps agree
 */
public record EffectiveConfig(Spec spec, boolean hostRootAllowed, LsmHost lsm) {

    /** @param initFlag {@code --init} was given (else only the bundle's annotation asks for tini) */
    public static EffectiveConfig of(Spec written, Profile selected, boolean rootless, boolean initFlag, boolean allowHostRoot,
                              boolean allowMissingLsm) {
        Spec spec = selected.apply(LaunchPlan.validatedAsWritten(written, rootless));
        if (TiniInit.requested(spec, initFlag)) {
            spec = TiniInit.apply(spec, initFlag ? "--init" : "annotations[\"" + TiniInit.ANNOTATION + "\"]", TiniInit.STATIC_TINI);
        }
        boolean oci = selected.effectiveFor(spec) == Profile.OCI;
        LsmHost lsm = LsmHost.probe();
        return new EffectiveConfig(LsmSteps.forLaunch(spec, lsm, oci, allowMissingLsm), allowHostRoot || oci, lsm);
    }
}
