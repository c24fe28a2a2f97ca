-- qtrace store, version 6: the add-ons of issue 12 — vpopmail's vchkpw authentications, Plesk's
-- handler and filter lines and the messages its queue handlers refused, qmail-scanner verdicts.
-- Times are unix µs. A record links to an SMTP session by its key (host:stream:pid:start_us) where
-- the correlator found the one open from its IP (inferred: by IP and time); a queue handler's
-- message is the one with qp = its pid on its host, queued within 60 s after it (read at query
-- time: the handler logs before qmail-send's `info msg`).

CREATE TABLE auth_events (
  id          INTEGER PRIMARY KEY,
  host        TEXT    NOT NULL,
  at_us       INTEGER NOT NULL,
  service     TEXT    NOT NULL,             -- vchkpw-SERVICE: pop3, smtp, submission, webmail, a port, ''
  protocol    TEXT,                         -- smtp | pop3 | imap | webmail | NULL (a bare port)
  port        INTEGER,
  login       TEXT    NOT NULL,             -- as logged (never the password)
  user        TEXT    NOT NULL,
  domain      TEXT    NOT NULL,
  ip          TEXT    NOT NULL,
  mechanism   TEXT,                         -- PLAIN, LOGIN, CRAM-MD5, APOP (successes)
  outcome     TEXT    NOT NULL,             -- success | fail | unknown_user | null_password | …
  pid         INTEGER,                      -- vchkpw's own (syslog [PID])
  session_key TEXT,                         -- the SMTP session open from ip then (smtp services)
  segment     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_events_at      ON auth_events (at_us);
CREATE INDEX auth_events_ip      ON auth_events (ip, at_us);
CREATE INDEX auth_events_user    ON auth_events (user, domain);
CREATE INDEX auth_events_session ON auth_events (session_key) WHERE session_key IS NOT NULL;

-- One row per Plesk handler line (qmail-{queue,local,remote}-handlers) and per filter line no
-- handler line followed in its second; a filter line that one did follow is in its `filters`.
CREATE TABLE handler_lines (
  id       INTEGER PRIMARY KEY,
  host     TEXT    NOT NULL,
  at_us    INTEGER NOT NULL,
  stage    TEXT,                            -- queue | local | remote | NULL (a filter's line)
  program  TEXT    NOT NULL,                -- the syslog tag
  pid      INTEGER,
  qp       INTEGER,                         -- queue stage: its pid is the message's qp
  kind     TEXT    NOT NULL,                -- plesk_from, plesk_to, plesk_verdict, plesk_mailbox…
  addr     TEXT,                            -- from= / to=
  verdict  TEXT,
  handler  TEXT,
  text     TEXT    NOT NULL,
  filters  TEXT,                            -- JSON [{at, program, pid, kind, text}] or NULL
  segment  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX handler_lines_qp ON handler_lines (qp, at_us) WHERE qp IS NOT NULL;
CREATE INDEX handler_lines_at ON handler_lines (at_us);
CREATE INDEX handler_lines_to ON handler_lines (addr COLLATE NOCASE) WHERE kind = 'plesk_to';

-- Messages a queue handler refused (REJECT or DEFER during call 'H' handler): nothing was queued.
CREATE TABLE refusals (
  id         INTEGER PRIMARY KEY,
  host       TEXT    NOT NULL,
  at_us      INTEGER NOT NULL,
  qp         INTEGER,
  program    TEXT    NOT NULL,
  handler    TEXT    NOT NULL,
  verdict    TEXT    NOT NULL,              -- REJECT | DEFER
  sender     TEXT,                          -- the run's from= when logged
  recipients TEXT    NOT NULL,              -- JSON array of its to= addresses
  segment    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refusals_at ON refusals (at_us);

CREATE TABLE scan_verdicts (
  id          INTEGER PRIMARY KEY,
  host        TEXT    NOT NULL,
  at_us       INTEGER NOT NULL,
  pid         INTEGER,                      -- qmail-scanner's (not the message's qp)
  verdict     TEXT    NOT NULL,             -- clear | spam | virus | policy | other
  word        TEXT    NOT NULL,
  reason      TEXT,
  tag         TEXT    NOT NULL,
  ip          TEXT,
  spam        INTEGER,
  score       REAL,
  required    REAL,
  elapsed     REAL    NOT NULL,
  bytes       INTEGER NOT NULL,
  sender      TEXT    NOT NULL,
  recipients  TEXT    NOT NULL,             -- JSON array
  subject     TEXT,
  message_id  TEXT,
  session_key TEXT,                         -- inferred: the session open from RC's IP then
  segment     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scan_verdicts_at      ON scan_verdicts (at_us);
CREATE INDEX scan_verdicts_sender  ON scan_verdicts (sender, at_us);
CREATE INDEX scan_verdicts_session ON scan_verdicts (session_key) WHERE session_key IS NOT NULL;

-- Views for users' SQL (ISO times, as migration 004's).
CREATE VIEW v_auth_events AS
  SELECT host, strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' AS at,
         service, protocol, port, login, user, domain, ip, mechanism, outcome, outcome = 'success' AS ok,
         pid, session_key AS session, at_us
  FROM auth_events;

CREATE VIEW v_handler_lines AS
  SELECT host, strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' AS at,
         stage, program, pid, qp, kind, addr, verdict, handler, text, filters, at_us
  FROM handler_lines;

CREATE VIEW v_refusals AS
  SELECT host, strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' AS at,
         qp, program, handler, verdict, sender, recipients, at_us
  FROM refusals;

CREATE VIEW v_scan_verdicts AS
  SELECT host, strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' AS at,
         pid, verdict, word, reason, tag, ip, spam, score, required, elapsed, bytes, sender, recipients, subject,
         message_id, session_key AS session, at_us
  FROM scan_verdicts;
