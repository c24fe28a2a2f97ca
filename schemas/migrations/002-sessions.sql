-- qtrace store, version 2: SMTP sessions (tcpserver, rblsmtpd, recordio, smtpd add-ons) and
-- their links to the messages they queued.

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  key         TEXT    NOT NULL UNIQUE,     -- host:stream:pid:start_us
  host        TEXT    NOT NULL,
  stream      TEXT    NOT NULL,            -- which smtpd log (multilog dir / syslog tag)
  pid         INTEGER NOT NULL,            -- tcpserver's child = qmail-smtpd (recordio, patches)
  start_us    INTEGER NOT NULL,
  end_us      INTEGER,
  open        INTEGER NOT NULL,            -- 1: no `end` seen (end of input)
  client_ip   TEXT,
  client_port INTEGER,
  client_host TEXT,
  local_ip    TEXT,
  local_port  INTEGER,
  tcp         TEXT,                        -- ok | deny (tcprules)
  exit_code   INTEGER,
  rbl_code    INTEGER,                     -- rblsmtpd's 451/553
  rbl_text    TEXT,
  helo        TEXT,
  auth_user   TEXT,
  tls         INTEGER NOT NULL,
  dialogue    INTEGER NOT NULL,            -- 1: the SMTP dialogue was logged (recordio)
  queued      INTEGER,                     -- 1 queued something, 0 nothing, NULL cannot tell
  verdict     TEXT    NOT NULL,            -- why nothing was queued, or 'queued'
  detail      TEXT    NOT NULL             -- the whole session as JSON (transactions, replies, add-ons)
);
CREATE INDEX sessions_start  ON sessions (start_us);
CREATE INDEX sessions_client ON sessions (client_ip);
CREATE INDEX sessions_pid    ON sessions (pid);

-- Each RCPT TO and its reply, for "who tried to send to this address".
CREATE TABLE session_rcpts (
  session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  at_us      INTEGER NOT NULL,
  sender     TEXT,
  recipient  TEXT    NOT NULL,
  accepted   INTEGER,                      -- NULL: no reply seen
  code       INTEGER,
  reason     TEXT,                         -- rcpthosts, chkuser, …
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX session_rcpts_recipient ON session_rcpts (recipient COLLATE NOCASE);

-- Session → message it queued. exact: the qp in `250 ok T qp Q` (or a patch's qp=); inferred:
-- the only possible parent (see README, "Linking sessions").
CREATE TABLE session_links (
  session_key TEXT    NOT NULL,
  message_key TEXT    NOT NULL,
  data_index  INTEGER,
  qp          INTEGER,
  link        TEXT    NOT NULL CHECK (link IN ('exact', 'inferred')),
  PRIMARY KEY (session_key, message_key)
) WITHOUT ROWID;
CREATE INDEX session_links_message ON session_links (message_key);
