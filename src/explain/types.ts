// Result data of `qtrace explain`: plain, readonly, JSON-serialisable values.
// The text printer (format.ts) and `--json` render the same objects.

/** Per-step verdict: ✓ ok, ✗ fail (refused / bounce / deferral), ! warn (works, but look), - skip (not applicable). */
export type Mark = 'ok' | 'fail' | 'warn' | 'skip';

/** Per-finding level; `note` is plain information. */
export type Level = 'ok' | 'fail' | 'warn' | 'note';

/** A file and 1-based line that decided something; `line` is null for "the whole file" or "the file is missing". */
export interface SourceRef {
  readonly file: string;
  readonly line: number | null;
}

export interface Finding {
  readonly level: Level;
  readonly text: string;
  readonly at: SourceRef | null;
}

/** What qmail would finally do with the address. */
export type Delivery = 'delivered' | 'remote' | 'bounce' | 'defer';

export interface Verdict {
  /** Would qmail-smtpd accept RCPT TO for this address from a client without RELAYCLIENT (or with, given --relayclient)? */
  readonly smtp: 'accepted' | 'refused';
  readonly delivery: Delivery;
  /** qmail's own wording where there is one (bounce/deferral text), else a short sentence. */
  readonly reason: string;
}

// ---------------------------------------------------------------- step data

export interface SmtpData {
  readonly accepted: boolean;
  readonly by: 'rcpthosts' | 'morercpthosts.cdb' | 'no-rcpthosts' | 'relayclient' | 'bare-address' | 'not-listed';
  /** The rcpthosts / morercpthosts key that matched (a domain or a `.suffix`). */
  readonly matched: string | null;
  /** The SMTP reply to RCPT TO. */
  readonly reply: string;
}

export interface RelayRoute {
  /** The smtproutes key that matched: a domain, a `.suffix`, or "" for the default route. */
  readonly key: string;
  readonly host: string;
  readonly port: number;
}

export interface RouteData {
  /** The address as given (angle brackets removed). */
  readonly input: string;
  /** After defaulthost (no @) and percenthack. */
  readonly address: string;
  readonly domain: string;
  readonly channel: 'local' | 'remote';
  readonly via: 'locals' | 'me' | 'virtualdomains' | 'none';
  /** The virtualdomains key that matched (`user@dom`, `dom`, `.suffix` or "" for the catch-all). */
  readonly vdomKey: string | null;
  readonly vdomPrefix: string | null;
  /** The recipient qmail-send hands to qmail-lspawn / qmail-rspawn (what the log shows as "to local …"). */
  readonly rewritten: string;
  /** Local channel: the local part qmail-lspawn works with (prefix-localpart for virtual domains). */
  readonly localPart: string | null;
  /** Remote channel: the smtproutes entry, or null when qmail-remote looks up the MX. */
  readonly relay: RelayRoute | null;
}

export interface UserCandidate {
  readonly name: string;
  readonly result: string;
}

export interface ResolvedUser {
  readonly via: 'users/cdb' | 'passwd' | 'alias';
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  /** As qmail sees it (from passwd or assign). */
  readonly home: string;
  /** Where that is on disk (under --sysroot). */
  readonly homeOnDisk: string;
  readonly dash: string;
  readonly ext: string;
}

export interface UserData {
  readonly local: string;
  readonly user: ResolvedUser | null;
  /** qmail-getpw's attempts, longest name first. */
  readonly candidates: readonly UserCandidate[];
}

export type QmailLineKind =
  | 'blank'
  | 'comment'
  | 'program'
  | 'forward'
  | 'maildir'
  | 'mbox'
  | 'list'
  | 'ignored';

export interface QmailLine {
  readonly n: number;
  readonly text: string;
  readonly kind: QmailLineKind;
  /** Maildir/mbox path, program command, forward address. */
  readonly target: string;
  /** Maildir/mbox: the path on disk; program: the first word's path when absolute. */
  readonly resolved: string | null;
  readonly level: Level;
  readonly note: string;
}

export interface SearchedFile {
  readonly name: string;
  readonly path: string;
  readonly exists: boolean;
}

export interface DefaultDelivery {
  readonly value: string;
  readonly from: SourceRef | null;
}

export interface DotQmailData {
  readonly searched: readonly SearchedFile[];
  /** The .qmail file qmail-local reads, on disk; null when none exists. */
  readonly file: string | null;
  /** $DEFAULT as qmail-local sets it for a -default file. */
  readonly defaultEnv: string | null;
  readonly forwardOnly: boolean;
  /** True when the instructions come from qmail-start's argument (no .qmail, or an empty one). */
  readonly usesDefaultDelivery: boolean;
  readonly defaultDelivery: DefaultDelivery | null;
  readonly lines: readonly QmailLine[];
}

export interface PathCheck {
  readonly path: string;
  readonly role: 'home' | 'dotqmail' | 'parent';
  /** Octal permission bits, e.g. "0755"; null when the path could not be examined. */
  readonly mode: string | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly level: Level;
  readonly text: string;
}

export interface PermissionsData {
  readonly checks: readonly PathCheck[];
}

export interface EvidenceDelivery {
  readonly id: string;
  readonly queued: string | null;
  readonly to: string;
  readonly outcome: string;
  readonly reason: string | null;
}

export interface EvidenceSession {
  readonly id: string;
  readonly start: string;
  readonly client: string;
  readonly reply: string | null;
}

/** Log evidence, implemented elsewhere on the SQLite store. Both methods search one recipient address. */
export interface EvidenceSource {
  recentDeliveries(address: string, limit: number): ReadonlyArray<EvidenceDelivery>;
  recentSessions(address: string, limit: number): ReadonlyArray<EvidenceSession>;
}

export interface EvidenceData {
  /** The addresses searched: the rewritten one and the original. */
  readonly searched: readonly string[];
  readonly deliveries: readonly EvidenceDelivery[];
  readonly sessions: readonly EvidenceSession[];
}

// ---------------------------------------------------------------- steps

interface StepOf<K extends string, N extends number, D> {
  readonly n: N;
  readonly kind: K;
  readonly title: string;
  readonly mark: Mark;
  readonly summary: string;
  readonly decidedBy: SourceRef | null;
  readonly findings: readonly Finding[];
  /** null when the step does not apply (mark 'skip'). */
  readonly data: D | null;
}

export type SmtpStep = StepOf<'smtp', 1, SmtpData>;
export type RouteStep = StepOf<'route', 2, RouteData>;
export type UserStep = StepOf<'user', 3, UserData>;
export type DotQmailStep = StepOf<'dotqmail', 4, DotQmailData>;
export type PermissionsStep = StepOf<'permissions', 5, PermissionsData>;
export type EvidenceStep = StepOf<'evidence', 6, EvidenceData>;

export type Step = SmtpStep | RouteStep | UserStep | DotQmailStep | PermissionsStep | EvidenceStep;

export interface ExplainResult {
  readonly address: string;
  readonly root: string;
  readonly verdict: Verdict;
  /** 0: accepted and delivered / routed remote; 1: refused at SMTP, bounced or deferred. */
  readonly exitCode: 0 | 1;
  readonly steps: readonly [SmtpStep, RouteStep, UserStep, DotQmailStep, PermissionsStep, EvidenceStep];
}

// ---------------------------------------------------------------- options and errors

/** The few file-system calls explain needs; tests and callers can pass their own. */
export interface FsStat {
  readonly kind: 'file' | 'dir' | 'other';
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
}

/** A failed call: `errno` is the code, e.g. "ENOENT", "EACCES". */
export interface FsErr {
  readonly errno: string;
}

export interface FsPort {
  stat(path: string): FsStat | FsErr;
  read(path: string): Uint8Array | FsErr;
}

export interface ExplainOptions {
  /** qmail's home, default `<sysroot>/var/qmail`. */
  readonly root?: string | undefined;
  /** Directory that stands for `/` when resolving home directories, /etc/passwd and absolute .qmail paths. Default `/`. */
  readonly sysroot?: string | undefined;
  /** passwd file for qmail-getpw's lookups, default `<sysroot>/etc/passwd`. */
  readonly passwd?: string | undefined;
  /** qmail-start's first argument; when absent it is read from `<root>/rc` or `<root>/supervise/qmail-send/run`. */
  readonly defaultDelivery?: string | undefined;
  /** Assume the SMTP client has RELAYCLIENT set. */
  readonly relayclient?: boolean | undefined;
  /** conf-patrn of the qmail build: mode bits that make qmail-local defer on ~ and .qmail. Default 0o002. */
  readonly patrn?: number | undefined;
  readonly evidence?: EvidenceSource | undefined;
  /** How many deliveries/sessions to ask the evidence source for, per address. Default 10. */
  readonly evidenceLimit?: number | undefined;
  readonly fs?: FsPort | undefined;
}

/** A bad invocation (empty address, missing qmail root): the CLI prints `qtrace: <message>` and exits 2. */
export class ExplainUsageError extends Error {
  readonly code = 'usage' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ExplainUsageError';
  }
}
