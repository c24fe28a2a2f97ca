-- qtrace's live records (schemas/live-record.schema.json: what `qtrace follow --json` and
-- `tail -F current | qtrace --json` print) in ClickHouse, for sites with many mail hosts: each host
-- keeps its own SQLite store for `qtrace show` and ships its records (schemas/clickhouse/vector.toml)
-- into these tables. One table per record type; partitions are days (drop old ones whole, or let
-- the TTL do it); each table is ordered for the questions admins ask of it.
--
-- Written against the ClickHouse SQL reference (MergeTree, Nested, bloom_filter skip indexes,
-- materialized views TO a table); not run by qtrace's tests (no ClickHouse in CI). Times are UTC
-- with microseconds, as in the records. `from` and `to` are quoted: they are SQL keywords.

CREATE DATABASE IF NOT EXISTS qtrace;

-- Every parsed log line. "What failed on mx3 in the last hour": ORDER BY (host, kind, time) reads
-- one key range per host; "everything about id 1442627 / key …" and "mail to bob@": skip indexes.
CREATE TABLE IF NOT EXISTS qtrace.events
(
    time            DateTime64(6, 'UTC'),
    host            LowCardinality(String),
    source          LowCardinality(String),          -- send | smtpd
    kind            LowCardinality(String),          -- new_msg, delivery_result, tcp_deny, …
    level           UInt8,                           -- pino's: 20 debug, 30 info, 40 warn, 50 error
    id              UInt64 DEFAULT 0,                -- qmail's message id (the record's digits; quoted beyond 2^53)
    key             String DEFAULT '',               -- the timeline key, as `qtrace show` takes it
    did             UInt32 DEFAULT 0,
    channel         LowCardinality(String) DEFAULT '',
    `from`          String DEFAULT '',
    `to`            String DEFAULT '',
    bytes           UInt64 DEFAULT 0,
    qp              UInt32 DEFAULT 0,
    uid             UInt32 DEFAULT 0,
    result          LowCardinality(String) DEFAULT '',  -- success | failure | deferral
    reason          String DEFAULT '',
    smtp_code       UInt16 DEFAULT 0,
    dsn             LowCardinality(String) DEFAULT '',
    remote_ip       String DEFAULT '',
    attempt_seconds Float32 DEFAULT 0,
    pid             UInt32 DEFAULT 0,
    client_ip       String DEFAULT '',
    client_host     String DEFAULT '',
    client_port     UInt16 DEFAULT 0,
    accepted        Nullable(Bool),
    text            String DEFAULT '',
    line            String CODEC(ZSTD(3)),           -- the raw line, as read
    INDEX events_id  id              TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX events_key key             TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX events_to  lower(`to`)     TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX events_ip  client_ip       TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (host, kind, time)
TTL toDate(time) + INTERVAL 90 DAY DELETE;

-- One row per message that ended (or was lost): its summary, recipients as Nested arrays.
-- "Messages from host X in a window" is the key range; an id, a key or a recipient, an index.
CREATE TABLE IF NOT EXISTS qtrace.messages
(
    time            DateTime64(6, 'UTC'),            -- end msg (or the reuse that lost it)
    host            LowCardinality(String),
    level           UInt8,                           -- 40: a recipient failed, lost, triple bounce
    id              UInt64,
    key             String,
    `from`          Nullable(String),                -- '' is the null sender <>; NULL: never logged
    bytes           Nullable(UInt64),
    qp              Nullable(UInt32),
    queued          Nullable(DateTime64(6, 'UTC')),
    queue_seconds   Nullable(Float64),
    partial         Bool,
    lost            Bool,
    triple_bounce   Bool,
    recipients      Nested(
        `to`        String,
        channel     LowCardinality(String),
        outcome     LowCardinality(String),          -- delivered | failed | deferred | pending
        attempts    UInt16,
        reason      String,
        smtp_code   UInt16,
        dsn         String
    ),
    bounce_qp       Nullable(UInt32),                -- the bounce this message caused
    bounce_key      Nullable(String),
    bounce_of       Nullable(String),
    forwards        Nested(qp UInt32, key Nullable(String)),
    forward_of      Nullable(String),
    session_key     Nullable(String),                -- the SMTP session that queued it, when linked
    session_link    LowCardinality(Nullable(String)), -- exact | inferred
    session_pid     Nullable(UInt32),
    client_ip       Nullable(String),
    client_host     Nullable(String),
    helo            Nullable(String),
    verdict         LowCardinality(Nullable(String)),
    INDEX messages_id   id              TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX messages_key  key             TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX messages_qp   qp              TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX messages_rcpt recipients.`to` TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (host, time)
TTL toDate(time) + INTERVAL 400 DAY DELETE;

CREATE TABLE IF NOT EXISTS qtrace.notices
(
    time  DateTime64(6, 'UTC'),
    host  LowCardinality(String),
    level UInt8,
    text  String
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (host, time);

-- "What happened to mail for bob@example.com yesterday", across every host: one row per
-- recipient, ordered by domain and address, so the question is a primary-key range.
CREATE TABLE IF NOT EXISTS qtrace.recipients
(
    time        DateTime64(6, 'UTC'),
    host        LowCardinality(String),
    id          UInt64,
    key         String,
    `from`      Nullable(String),
    rcpt        String,
    domain      String,                              -- lower-cased, after the last @
    channel     LowCardinality(String),
    outcome     LowCardinality(String),
    attempts    UInt16,
    reason      String,
    smtp_code   UInt16,
    dsn         String,
    client_ip   Nullable(String)
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (domain, lower(rcpt), time)
TTL toDate(time) + INTERVAL 400 DAY DELETE;

CREATE MATERIALIZED VIEW IF NOT EXISTS qtrace.recipients_mv TO qtrace.recipients AS
SELECT
    time, host, id, key, `from`,
    recipients.`to` AS rcpt,
    lower(arrayElement(splitByChar('@', recipients.`to`), -1)) AS domain,
    recipients.channel AS channel, recipients.outcome AS outcome, recipients.attempts AS attempts,
    recipients.reason AS reason, recipients.smtp_code AS smtp_code, recipients.dsn AS dsn,
    client_ip
FROM qtrace.messages
ARRAY JOIN recipients;

-- Dashboards and the morning report's totals: recipients per host, hour, channel and outcome
-- (summed as parts merge; query with sum(), as parts may not have merged yet).
CREATE TABLE IF NOT EXISTS qtrace.hourly
(
    hour        DateTime('UTC'),
    host        LowCardinality(String),
    channel     LowCardinality(String),
    outcome     LowCardinality(String),
    recipients  UInt64,
    attempts    UInt64,
    messages    UInt64,                              -- counted once per message, on its first recipient
    bytes       UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (host, hour, channel, outcome);

CREATE MATERIALIZED VIEW IF NOT EXISTS qtrace.hourly_mv TO qtrace.hourly AS
SELECT
    toStartOfHour(time) AS hour, host, recipients.channel AS channel, recipients.outcome AS outcome,
    count() AS recipients, sum(recipients.attempts) AS attempts,
    countIf(n = 1) AS messages, sumIf(ifNull(bytes, 0), n = 1) AS bytes
FROM qtrace.messages
ARRAY JOIN recipients, arrayEnumerate(recipients.`to`) AS n
GROUP BY hour, host, channel, outcome;
