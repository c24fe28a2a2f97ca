-- qtrace store, version 1: qmail-send timelines.
-- Times are unix microseconds (INTEGER). Keys are stable across reruns: host:first-seen-µs:msg.

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  key           TEXT    NOT NULL UNIQUE,      -- host:first_us:msg, the timeline's public id
  host          TEXT    NOT NULL,
  msg           INTEGER NOT NULL,             -- qmail's message id (an inode number: reused!)
  first_us      INTEGER NOT NULL,             -- first line seen for this message
  queued_us     INTEGER,                      -- `new msg` (NULL: queued before the logs begin)
  ended_us      INTEGER,                      -- `end msg` (NULL: still queued at the end of input)
  partial       INTEGER NOT NULL,             -- 1: its beginning was not in the logs
  lost          INTEGER NOT NULL DEFAULT 0,   -- 1: id reused without an `end msg`
  bytes         INTEGER,
  sender        TEXT,                         -- as logged (logsafe: odd bytes are '_'); '' is <>
  qp            INTEGER,                      -- pid of qmail-queue
  uid           INTEGER,                      -- uid that queued it
  bounce_qp     INTEGER,                      -- `bounce msg N qp Q`
  triple_bounce INTEGER NOT NULL DEFAULT 0    -- its bounce was discarded
);
CREATE INDEX messages_msg      ON messages (msg);   -- show MSGID (any host)
CREATE INDEX messages_qp       ON messages (qp);    -- show --qp, qp links
CREATE INDEX messages_first    ON messages (first_us);

-- One row per delivery attempt, in order (seq) within its message. The latest attempt of each
-- recipient (last = 1) carries that recipient's outcome: see the recipients view.
CREATE TABLE deliveries (
  message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  run         INTEGER NOT NULL,               -- qmail-send run on the host (ids restart per run)
  did         INTEGER NOT NULL,               -- `starting delivery D`
  channel     TEXT    NOT NULL CHECK (channel IN ('local', 'remote')),
  recipient   TEXT    NOT NULL,               -- as logged: rewritten (virtual domains), case kept
  started_us  INTEGER,
  finished_us INTEGER,
  result      TEXT CHECK (result IN ('success', 'failure', 'deferral', 'interrupted')),
  reason      TEXT,                           -- decoded report ('/' → newline, '_' → space)
  smtp_code   INTEGER,
  dsn         TEXT,                           -- enhanced status x.y.z
  remote_ip   TEXT,
  too_long    INTEGER NOT NULL DEFAULT 0,     -- "in the queue too long"
  forward_qp  INTEGER,                        -- .qmail forward: qp of the copy (did_0+1+0/qp_Q/)
  rcpt        INTEGER NOT NULL,               -- which recipient of the message (0, 1, …)
  last        INTEGER NOT NULL,               -- 1: the recipient's latest attempt
  outcome     TEXT CHECK (outcome IN ('delivered', 'failed', 'deferred', 'pending')), -- on last = 1
  attempts    INTEGER,                        -- on last = 1
  PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
CREATE INDEX deliveries_recipient ON deliveries (recipient COLLATE NOCASE) WHERE last = 1;

-- Per recipient: the final word of its attempts.
CREATE VIEW recipients AS
  SELECT message_id, rcpt AS seq, recipient, channel, outcome, attempts
  FROM deliveries WHERE last = 1;

-- bounce: original → bounce message; forward: original → forwarded copy. By key, so either side
-- may be stored first.
CREATE TABLE links (
  kind     TEXT    NOT NULL CHECK (kind IN ('bounce', 'forward')),
  from_key TEXT    NOT NULL,
  to_key   TEXT    NOT NULL,
  qp       INTEGER NOT NULL,
  PRIMARY KEY (from_key, kind, to_key)
) WITHOUT ROWID;
CREATE INDEX links_to ON links (to_key);

-- `delivery D:` results whose `starting delivery D` was never seen.
CREATE TABLE orphan_results (
  host      TEXT    NOT NULL,
  run       INTEGER NOT NULL,
  did       INTEGER NOT NULL,
  at_us     INTEGER NOT NULL,
  result    TEXT    NOT NULL,
  reason    TEXT,
  PRIMARY KEY (host, run, did, at_us)
) WITHOUT ROWID;

-- Lines no parser recognised, kept raw with where they came from.
CREATE TABLE unknown_lines (
  source  TEXT    NOT NULL,
  line_no INTEGER NOT NULL,
  at_us   INTEGER,
  raw     TEXT    NOT NULL,
  PRIMARY KEY (source, line_no, raw)
) WITHOUT ROWID;

-- qmail-send `status:` lines, one row per host and second: the peak deliveries running in it.
CREATE TABLE send_status (
  host       TEXT    NOT NULL,
  at_us      INTEGER NOT NULL,
  local      INTEGER NOT NULL,
  local_max  INTEGER NOT NULL,
  remote     INTEGER NOT NULL,
  remote_max INTEGER NOT NULL,
  exitasap   INTEGER NOT NULL,
  PRIMARY KEY (host, at_us)
) WITHOUT ROWID;

-- qmail-send warning:/alert: lines, and qtrace's own findings (level 'qtrace').
CREATE TABLE notices (
  host  TEXT    NOT NULL,
  at_us INTEGER NOT NULL,
  level TEXT    NOT NULL,
  text  TEXT    NOT NULL,
  PRIMARY KEY (host, at_us, level, text)
) WITHOUT ROWID;

-- What was read: which file (by path and the hash of its first line), up to which byte.
CREATE TABLE ingested_files (
  path       TEXT    NOT NULL,
  identity   TEXT    NOT NULL,               -- sha1 of the first line: survives rotation renames
  size       INTEGER NOT NULL,               -- bytes read (of the file as stored, .gz included)
  lines      INTEGER NOT NULL,
  last_us    INTEGER,
  done_at    TEXT    NOT NULL,
  PRIMARY KEY (path, identity)
) WITHOUT ROWID;

-- The correlator's and the reader's state at the last commit, so an ingest continues the last one.
CREATE TABLE state (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL
) WITHOUT ROWID;
