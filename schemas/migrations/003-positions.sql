-- qtrace store, version 3: reading by position, not by time.
-- A file is known by a fingerprint of its first line (which survives multilog's rename of
-- `current` to `@….s`) and read up to the byte after its last complete line; that offset is
-- written in the same transaction as the data it led to.

CREATE TABLE positions (
  fingerprint TEXT    PRIMARY KEY,            -- sha1 of the first line (its first 4 KiB); 'pipe:NAME:sha1' for a stream
  path        TEXT    NOT NULL,               -- where it was last read (it may since have been renamed)
  stream      TEXT    NOT NULL,               -- the log stream it belongs to (multilog dir, file name, --name)
  dev         INTEGER,
  ino         INTEGER,
  offset      INTEGER NOT NULL,               -- bytes taken (of the decompressed stream for .gz)
  lines       INTEGER NOT NULL,               -- lines taken
  last_us     INTEGER,                        -- the time of the last line taken (how fresh the stream is)
  size        INTEGER,                        -- the file's size (as stored) when it was last read
  complete    INTEGER NOT NULL DEFAULT 0,     -- 1: a file that cannot grow (.gz, @….s) was read to its end
  segment     INTEGER NOT NULL DEFAULT 0,     -- the segment it feeds (0: the present; see messages.segment)
  updated_at  TEXT    NOT NULL
) WITHOUT ROWID;

-- Older history read after newer: its timelines form a segment of their own (its own correlator
-- state) until they are stitched to the present at the seam. 0 is the present.
ALTER TABLE messages ADD COLUMN segment INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_open ON messages (segment, host, msg) WHERE ended_us IS NULL AND lost = 0;

-- Time-ordered lines may repeat a stamp (second-resolution syslog): a timeline's key is made
-- unique with a `#n` suffix, so (host, first_us, msg) is no longer unique by itself.
DROP TABLE ingested_files;

-- The time of a message's `info msg` line (matchup dates a message by it: its BIRTH).
ALTER TABLE messages ADD COLUMN info_us INTEGER;

-- An unknown line keeps its first 4 KiB; its full length is counted here.
ALTER TABLE unknown_lines ADD COLUMN length INTEGER;

-- An orphan result keeps what its report said, so that the start it lacked, found later in older
-- history, gets the whole attempt.
ALTER TABLE orphan_results ADD COLUMN smtp_code INTEGER;
ALTER TABLE orphan_results ADD COLUMN dsn TEXT;
ALTER TABLE orphan_results ADD COLUMN remote_ip TEXT;
ALTER TABLE orphan_results ADD COLUMN too_long INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orphan_results ADD COLUMN forward_qp INTEGER;
