-- qtrace store, version 4: documented views for your own SQL (`qtrace sql`). They keep their
-- columns when the tables change, so queries built on them survive upgrades. Times are ISO 8601
-- UTC with microseconds (text, sorts as time); durations are seconds (REAL). The *_us columns
-- stay for arithmetic.

-- One row per message timeline.
CREATE VIEW v_messages AS
  SELECT m.key            AS id,        -- host:first-µs:msg, as `qtrace show` prints it
         m.host, m.msg,
         CASE WHEN m.first_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', m.first_us / 1000000, 'unixepoch') || '.' || printf('%06d', m.first_us % 1000000) || 'Z' END AS first_seen,
         CASE WHEN m.queued_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', m.queued_us / 1000000, 'unixepoch') || '.' || printf('%06d', m.queued_us % 1000000) || 'Z' END AS queued,
         CASE WHEN m.ended_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', m.ended_us / 1000000, 'unixepoch') || '.' || printf('%06d', m.ended_us % 1000000) || 'Z' END AS ended,
         (m.ended_us - m.queued_us) / 1e6 AS queue_seconds,
         m.partial, m.lost, m.bytes,
         m.sender,                       -- '' is <>, '#@[]' a double bounce
         m.qp, m.uid, m.bounce_qp, m.triple_bounce,
         m.first_us, m.queued_us, m.ended_us
  FROM messages m;

-- One row per delivery attempt.
CREATE VIEW v_deliveries AS
  SELECT m.key AS message, m.host, m.msg, d.seq, d.run, d.did, d.channel, d.recipient,
         CASE WHEN d.started_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', d.started_us / 1000000, 'unixepoch') || '.' || printf('%06d', d.started_us % 1000000) || 'Z' END AS started,
         CASE WHEN d.finished_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', d.finished_us / 1000000, 'unixepoch') || '.' || printf('%06d', d.finished_us % 1000000) || 'Z' END AS finished,
         (d.finished_us - d.started_us) / 1e6 AS seconds,
         d.result,                       -- success | failure | deferral | interrupted | NULL (running)
         d.reason,                       -- decoded: newlines between lines of the report
         d.smtp_code, d.dsn, d.remote_ip, d.too_long, d.forward_qp,
         d.last,                         -- 1: the recipient's latest attempt
         d.started_us, d.finished_us
  FROM deliveries d JOIN messages m ON m.id = d.message_id;

-- One row per recipient of a message: its final word.
CREATE VIEW v_recipients AS
  SELECT m.key AS message, m.host, m.msg, m.sender, CASE WHEN m.queued_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', m.queued_us / 1000000, 'unixepoch') || '.' || printf('%06d', m.queued_us % 1000000) || 'Z' END AS queued,
         d.recipient, d.channel, d.outcome,  -- delivered | failed | deferred | pending
         d.attempts, CASE WHEN d.finished_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', d.finished_us / 1000000, 'unixepoch') || '.' || printf('%06d', d.finished_us % 1000000) || 'Z' END AS last_attempt, d.reason AS last_reason
  FROM deliveries d JOIN messages m ON m.id = d.message_id
  WHERE d.last = 1;

-- One row per SMTP session (tcpserver pid).
CREATE VIEW v_sessions AS
  SELECT s.key AS id, s.host, s.stream, s.pid,
         CASE WHEN s.start_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', s.start_us / 1000000, 'unixepoch') || '.' || printf('%06d', s.start_us % 1000000) || 'Z' END AS started,
         CASE WHEN s.end_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', s.end_us / 1000000, 'unixepoch') || '.' || printf('%06d', s.end_us % 1000000) || 'Z' END AS ended,
         (s.end_us - s.start_us) / 1e6 AS seconds,
         s.client_ip, s.client_port, s.client_host, s.local_ip, s.local_port, s.tcp, s.exit_code,
         s.rbl_code, s.rbl_text, s.helo, s.auth_user, s.tls, s.queued,
         s.verdict,                      -- 'queued', or why nothing was
         s.start_us, s.end_us
  FROM sessions s;

-- Bounce and forward links between messages (by their ids).
CREATE VIEW v_links AS
  SELECT kind, from_key AS from_message, to_key AS to_message, qp FROM links;

-- Session → message it queued (exact from the log, or inferred).
CREATE VIEW v_session_messages AS
  SELECT session_key AS session, message_key AS message, qp, link FROM session_links;

-- qmail-send warnings and alerts (verbatim), and qtrace's own findings (level 'qtrace').
CREATE VIEW v_notices AS
  SELECT host, CASE WHEN at_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' END AS at, level, text, at_us FROM notices;

-- Lines no parser knew, with where they came from.
CREATE VIEW v_unknown_lines AS
  SELECT source, line_no, CASE WHEN at_us IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', at_us / 1000000, 'unixepoch') || '.' || printf('%06d', at_us % 1000000) || 'Z' END AS at, raw FROM unknown_lines;
