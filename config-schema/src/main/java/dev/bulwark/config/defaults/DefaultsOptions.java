package dev.bulwark.config.defaults;

/**
 * How to tailor {@link HardenedDefaults}: the host ids that container root maps to.
 *
 * @param rootless    true when Bulwark runs as an unprivileged user; container root then maps to
 *                    that user only (a one-id map is all an unprivileged user may write)
 * @param hostUid     first host uid of the mapped range (rootless: the caller's uid)
 * @param hostGid     first host gid of the mapped range (rootless: the caller's gid)
 * @param idRangeSize number of ids mapped, starting at container id 0 (rootless: 1)
 */
public record DefaultsOptions(boolean rootless, long hostUid, long hostGid, long idRangeSize) {

    /**
     * Default first host id for containers started by real root: 1,000,000,000. It lies in
     * systemd's documented container range (524288..1879048191), far above login users and the
     * usual /etc/subuid allocations (100000+), so container root is nobody on the host.
     */
    public static final long DEFAULT_HOST_ID_START = 1_000_000_000L;

    /** 65536 ids: enough for every id a typical image uses, including nobody (65534). */
    public static final long DEFAULT_ID_RANGE_SIZE = 65_536L;

    public DefaultsOptions {
        if (hostUid < 0 || hostGid < 0 || idRangeSize <= 0
                || hostUid + idRangeSize - 1 > 0xFFFF_FFFEL || hostGid + idRangeSize - 1 > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("id range out of bounds: uid " + hostUid + ", gid " + hostGid
                    + ", size " + idRangeSize);
        }
        if (rootless && idRangeSize != 1) {
            throw new IllegalArgumentException("rootless mode maps exactly one id, not " + idRangeSize);
        }
    }

    /** Started by root: container ids 0..65535 map to host ids 1000000000..1000065535. */
    public static DefaultsOptions root() {
        return new DefaultsOptions(false, DEFAULT_HOST_ID_START, DEFAULT_HOST_ID_START, DEFAULT_ID_RANGE_SIZE);
    }

    /** Started by root with an explicit host range, e.g. from /etc/subuid. */
    public static DefaultsOptions root(long hostUid, long hostGid, long idRangeSize) {
        return new DefaultsOptions(false, hostUid, hostGid, idRangeSize);
    }

    /** Started by an unprivileged user: container root is that user. */
    public static DefaultsOptions rootless(long uid, long gid) {
        return new DefaultsOptions(true, uid, gid, 1);
    }
}
