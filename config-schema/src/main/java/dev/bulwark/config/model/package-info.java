/**
 * Immutable, typed model of the OCI runtime-spec {@code config.json} (v1.2), Linux subset.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li><b>Optional scalars are boxed and nullable</b>: {@code null} means "absent", which is
 *       not the same as zero or {@code false} (e.g. an absent memory limit is not a limit of 0).</li>
 *   <li><b>Scalars the spec marks REQUIRED are primitives</b> annotated
 *       {@code @JsonProperty(required = true)}, so a document that omits them fails to parse
 *       instead of silently reading 0 (which would e.g. turn a missing seccomp argument value
 *       into "compare with 0").</li>
 *   <li><b>Lists and maps are never null</b>: an absent array or object becomes an empty,
 *       unmodifiable collection. The spec gives "absent" and "empty" the same meaning for every
 *       collection in this model, so nothing is lost, and callers never need null checks.
 *       Maps keep document order. {@link dev.bulwark.config.SpecWriter} omits empty collections
 *       (except capability sets, which it always writes so an empty set is visible).</li>
 *   <li><b>uint64 fields that may legitimately exceed {@link Long#MAX_VALUE}</b> (seccomp argument
 *       values and masks, rlimits, where {@code RLIM_INFINITY} is 2^64-1) are stored as the raw
 *       64 bits of the unsigned value in a {@code long}; see {@link Uint64}. Compare them with
 *       {@link Long#compareUnsigned} and print them with {@link Long#toUnsignedString}.</li>
 *   <li>Unknown JSON properties are ignored, as the spec requires.</li>
 *   <li>Component order follows the spec's Go structs ({@code specs-go/config.go}); the writer
 *       emits fields in that order.</li>
 * </ul>
 */
package dev.bulwark.config.model;
