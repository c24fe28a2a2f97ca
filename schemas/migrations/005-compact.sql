-- qtrace store, version 5: smaller rows, integer identities. A message's public id
-- host:first-µs:msg[#n] is no longer stored: it is made from host, first_us, msg and `dup` (the
-- n of `#n`, 0 for none) wherever it is shown. Addresses and report texts are stored once, in
-- lookup tables. Times after a message's first line are µs after its first_us (small integers:
-- SQLite stores 0 and 1 in no bytes, most deltas in 3 or 4). Links name messages by row id.
-- The v_* views keep their columns and meaning.

CREATE TABLE addresses (
  id      INTEGER PRIMARY KEY,
  address TEXT    NOT NULL UNIQUE               -- as logged (case kept); '' is <>
);
CREATE INDEX addresses_nocase ON addresses (address COLLATE NOCASE);

-- Delivery reports (decoded), each text once.
CREATE TABLE texts (
  id   INTEGER PRIMARY KEY,
  text TEXT    NOT NULL UNIQUE
);

INSERT OR IGNORE INTO addresses (address) SELECT sender FROM messages WHERE sender IS NOT NULL;
INSERT OR IGNORE INTO addresses (address) SELECT recipient FROM deliveries;
INSERT OR IGNORE INTO texts (text) SELECT reason FROM deliveries WHERE reason IS NOT NULL;

CREATE TABLE messages5 (
  id            INTEGER PRIMARY KEY,
  host          TEXT    NOT NULL,
  msg           INTEGER NOT NULL,               -- qmail's message id (an inode number: reused!)
  first_us      INTEGER NOT NULL,               -- unix µs of the first line seen for this message
  dup           INTEGER NOT NULL DEFAULT 0,     -- n of the id's `#n` (a repeat of msg within one stamp); 0: none
  queued_d      INTEGER,                        -- `new msg`, µs after first_us (NULL: queued before the logs begin)
  info_d        INTEGER,                        -- `info msg`, µs after first_us
  ended_d       INTEGER,                        -- `end msg`, µs after first_us (NULL: still queued)
  partial       INTEGER NOT NULL,               -- 1: its beginning was not in the logs
  lost          INTEGER NOT NULL DEFAULT 0,     -- 1: id reused without an `end msg`
  bytes         INTEGER,
  sender_id     INTEGER,                        -- addresses.id (as logged; '' is <>)
  qp            INTEGER,                        -- pid of qmail-queue
  uid           INTEGER,                        -- uid that queued it
  bounce_qp     INTEGER,                        -- `bounce msg N qp Q`
  triple_bounce INTEGER NOT NULL DEFAULT 0,     -- its bounce was discarded
  segment       INTEGER NOT NULL DEFAULT 0      -- see migration 003
);
INSERT INTO messages5 (id, host, msg, first_us, dup, queued_d, info_d, ended_d, partial, lost, bytes, sender_id, qp, uid,
    bounce_qp, triple_bounce, segment)
  SELECT m.id, m.host, m.msg, m.first_us,
         CASE WHEN instr(substr(m.key, length(m.host) + 2), '#') > 0
              THEN CAST(substr(substr(m.key, length(m.host) + 2), instr(substr(m.key, length(m.host) + 2), '#') + 1) AS INTEGER)
              ELSE 0 END,
         m.queued_us - m.first_us, m.info_us - m.first_us, m.ended_us - m.first_us, m.partial, m.lost, m.bytes,
         (SELECT a.id FROM addresses a WHERE a.address = m.sender), m.qp, m.uid, m.bounce_qp, m.triple_bounce, m.segment
  FROM messages m;

-- One row per delivery attempt, in order (seq) within its message. The latest attempt of each
-- recipient (last = 1) carries that recipient's outcome. No foreign key: the writer writes an
-- attempt only with its message and removes both together (a check per attempt cost 5 % of an ingest).
CREATE TABLE deliveries5 (
  message_id   INTEGER NOT NULL,                -- messages.id
  seq          INTEGER NOT NULL,
  run          INTEGER NOT NULL,                -- qmail-send run on the host (ids restart per run)
  did          INTEGER NOT NULL,                -- `starting delivery D`
  channel      INTEGER NOT NULL CHECK (channel IN (0, 1)),           -- 0 local, 1 remote
  recipient_id INTEGER NOT NULL,                -- addresses.id (as logged: rewritten by virtual domains, case kept)
  started_d    INTEGER,                         -- µs after the message's first_us
  finished_d   INTEGER,                         -- µs after the message's first_us
  result       INTEGER CHECK (result BETWEEN 0 AND 3),  -- 0 success, 1 failure, 2 deferral, 3 interrupted; NULL running
  reason_id    INTEGER,                         -- texts.id: the decoded report
  smtp_code    INTEGER,
  dsn          TEXT,                            -- enhanced status x.y.z
  remote_ip    TEXT,
  too_long     INTEGER NOT NULL DEFAULT 0,      -- "in the queue too long"
  forward_qp   INTEGER,                         -- .qmail forward: qp of the copy
  rcpt         INTEGER NOT NULL,                -- which recipient of the message (0, 1, …)
  last         INTEGER NOT NULL,                -- 1: the recipient's latest attempt
  outcome      INTEGER CHECK (outcome BETWEEN 0 AND 3), -- on last = 1: 0 delivered, 1 failed, 2 deferred, 3 pending
  attempts     INTEGER,                         -- on last = 1
  PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
INSERT INTO deliveries5
  SELECT d.message_id, d.seq, d.run, d.did, CASE d.channel WHEN 'local' THEN 0 ELSE 1 END,
         (SELECT a.id FROM addresses a WHERE a.address = d.recipient),
         d.started_us - m.first_us, d.finished_us - m.first_us,
         CASE d.result WHEN 'success' THEN 0 WHEN 'failure' THEN 1 WHEN 'deferral' THEN 2 WHEN 'interrupted' THEN 3 END,
         (SELECT t.id FROM texts t WHERE t.text = d.reason), d.smtp_code, d.dsn, d.remote_ip, d.too_long, d.forward_qp,
         d.rcpt, d.last,
         CASE d.outcome WHEN 'delivered' THEN 0 WHEN 'failed' THEN 1 WHEN 'deferred' THEN 2 WHEN 'pending' THEN 3 END,
         d.attempts
  FROM deliveries d JOIN messages m ON m.id = d.message_id;

-- bounce: original → bounce message; forward: original → forwarded copy (messages.id).
CREATE TABLE links5 (
  kind    TEXT    NOT NULL CHECK (kind IN ('bounce', 'forward')),
  from_id INTEGER NOT NULL,
  to_id   INTEGER NOT NULL,
  qp      INTEGER NOT NULL,
  PRIMARY KEY (from_id, kind, to_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO links5 SELECT l.kind, f.id, t.id, l.qp FROM links l JOIN messages f ON f.key = l.from_key JOIN messages t ON t.key = l.to_key;

-- Session → message it queued (sessions.id, messages.id).
CREATE TABLE session_links5 (
  session_id INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  data_index INTEGER,
  qp         INTEGER,
  link       TEXT    NOT NULL CHECK (link IN ('exact', 'inferred')),
  PRIMARY KEY (session_id, message_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO session_links5 SELECT s.id, m.id, l.data_index, l.qp, l.link
  FROM session_links l JOIN sessions s ON s.key = l.session_key JOIN messages m ON m.key = l.message_key;

DROP VIEW v_messages;
DROP VIEW v_deliveries;
DROP VIEW v_recipients;
DROP VIEW v_links;
DROP VIEW v_session_messages;
DROP VIEW recipients;
DROP TABLE links;
DROP TABLE session_links;
DROP TABLE deliveries;
DROP TABLE messages;
ALTER TABLE messages5 RENAME TO messages;
ALTER TABLE deliveries5 RENAME TO deliveries;
ALTER TABLE links5 RENAME TO links;
ALTER TABLE session_links5 RENAME TO session_links;

CREATE INDEX messages_first ON messages (first_us);
CREATE INDEX messages_msg   ON messages (msg);                 -- show MSGID (any host)
CREATE INDEX messages_qp    ON messages (qp);                  -- show --qp, qp links
-- `messages --since`: a message's last moment (its end, else its first line)
CREATE INDEX messages_last  ON messages (first_us + coalesce(ended_d, 0));
CREATE INDEX messages_open  ON messages (segment, host, msg) WHERE ended_d IS NULL AND lost = 0;
CREATE INDEX deliveries_recipient ON deliveries (recipient_id) WHERE last = 1;
CREATE INDEX links_to ON links (to_id);
CREATE INDEX session_links_message ON session_links (message_id);

-- The documented views (migration 004), same columns, same meaning.
CREATE VIEW v_messages AS
  SELECT m.host || ':' || m.first_us || ':' || printf('%u', m.msg) || CASE WHEN m.dup > 0 THEN '#' || m.dup ELSE '' END AS id,
         m.host, m.msg,
         strftime('%Y-%m-%dT%H:%M:%S', m.first_us / 1000000, 'unixepoch') || '.' || printf('%06d', m.first_us % 1000000) || 'Z' AS first_seen,
         CASE WHEN m.queued_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + m.queued_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + m.queued_d) % 1000000) || 'Z' END AS queued,
         CASE WHEN m.ended_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + m.ended_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + m.ended_d) % 1000000) || 'Z' END AS ended,
         (m.ended_d - m.queued_d) / 1e6 AS queue_seconds,
         m.partial, m.lost, m.bytes,
         s.address AS sender,            -- '' is <>, '#@[]' a double bounce
         m.qp, m.uid, m.bounce_qp, m.triple_bounce,
         m.first_us, m.first_us + m.queued_d AS queued_us, m.first_us + m.ended_d AS ended_us
  FROM messages m LEFT JOIN addresses s ON s.id = m.sender_id;

CREATE VIEW v_deliveries AS
  SELECT m.host || ':' || m.first_us || ':' || printf('%u', m.msg) || CASE WHEN m.dup > 0 THEN '#' || m.dup ELSE '' END AS message,
         m.host, m.msg, d.seq, d.run, d.did, CASE d.channel WHEN 0 THEN 'local' ELSE 'remote' END AS channel, a.address AS recipient,
         CASE WHEN d.started_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + d.started_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + d.started_d) % 1000000) || 'Z' END AS started,
         CASE WHEN d.finished_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + d.finished_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + d.finished_d) % 1000000) || 'Z' END AS finished,
         (d.finished_d - d.started_d) / 1e6 AS seconds,
         CASE d.result WHEN 0 THEN 'success' WHEN 1 THEN 'failure' WHEN 2 THEN 'deferral' WHEN 3 THEN 'interrupted' END AS result,
         t.text AS reason,               -- decoded: newlines between lines of the report
         d.smtp_code, d.dsn, d.remote_ip, d.too_long, d.forward_qp,
         d.last,                         -- 1: the recipient's latest attempt
         m.first_us + d.started_d AS started_us, m.first_us + d.finished_d AS finished_us
  FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN addresses a ON a.id = d.recipient_id
    LEFT JOIN texts t ON t.id = d.reason_id;

CREATE VIEW v_recipients AS
  SELECT m.host || ':' || m.first_us || ':' || printf('%u', m.msg) || CASE WHEN m.dup > 0 THEN '#' || m.dup ELSE '' END AS message,
         m.host, m.msg, s.address AS sender,
         CASE WHEN m.queued_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + m.queued_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + m.queued_d) % 1000000) || 'Z' END AS queued,
         a.address AS recipient, CASE d.channel WHEN 0 THEN 'local' ELSE 'remote' END AS channel,
         CASE d.outcome WHEN 0 THEN 'delivered' WHEN 1 THEN 'failed' WHEN 2 THEN 'deferred' WHEN 3 THEN 'pending' END AS outcome,
         d.attempts,
         CASE WHEN d.finished_d IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (m.first_us + d.finished_d) / 1000000, 'unixepoch') || '.' || printf('%06d', (m.first_us + d.finished_d) % 1000000) || 'Z' END AS last_attempt,
         t.text AS last_reason
  FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN addresses a ON a.id = d.recipient_id
    LEFT JOIN addresses s ON s.id = m.sender_id LEFT JOIN texts t ON t.id = d.reason_id
  WHERE d.last = 1;

CREATE VIEW v_links AS
  SELECT l.kind,
         f.host || ':' || f.first_us || ':' || printf('%u', f.msg) || CASE WHEN f.dup > 0 THEN '#' || f.dup ELSE '' END AS from_message,
         t.host || ':' || t.first_us || ':' || printf('%u', t.msg) || CASE WHEN t.dup > 0 THEN '#' || t.dup ELSE '' END AS to_message,
         l.qp
  FROM links l JOIN messages f ON f.id = l.from_id JOIN messages t ON t.id = l.to_id;

CREATE VIEW v_session_messages AS
  SELECT s.key AS session,
         m.host || ':' || m.first_us || ':' || printf('%u', m.msg) || CASE WHEN m.dup > 0 THEN '#' || m.dup ELSE '' END AS message,
         l.qp, l.link
  FROM session_links l JOIN sessions s ON s.id = l.session_id JOIN messages m ON m.id = l.message_id;
