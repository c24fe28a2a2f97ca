// The log-time windows the correlator matches within; the queries use them too (on their own,
// without loading the correlator).

/**
 * How far apart (log time) a qp may be matched. Pids wrap fast on a busy host (every ~30 s in the
 * lab's volume run), and the lines that link are written milliseconds apart, so keep these short.
 */
export const QP_WINDOW_US = 60 * 1_000_000;
/** A forwarded copy's `info msg` may precede the forward's delivery line: by this much at most. */
export const INFO_BEFORE_US = 10 * 1_000_000;
