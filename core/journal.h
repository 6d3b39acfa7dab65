// SPDX-License-Identifier: MIT
#ifndef TWINTOP_JOURNAL_H
#define TWINTOP_JOURNAL_H
/*
 * The MQTT journal: every received message appended to a file with one write() before the
 * message handler returns, so that what the broker considers delivered survives a killed
 * recorder. libmosquitto 2.0 acknowledges a QoS 1 message (PUBACK) as it reads it, before its
 * handler runs, and the broker then forgets it; the feed therefore has the acknowledgement held
 * until the handler returned (mqtt_set_ack_after_handler) and journals in the handler.
 *
 * The store commits what the journal holds through the usual pipeline; the journal learns how far
 * that got by counting samples: journal_mark says "every record so far produced samples below
 * this number", journal_sync "the store committed this many". Records whose samples are all
 * committed are dropped (the file is truncated, or its uncommitted tail copied to a new file).
 * A recorder that starts on the journal of a killed one goes on with its run (journal_run) and
 * replays the records left (journal_each) into it, where the store keeps each (sensor,
 * millisecond) once: records committed before the kill come back as duplicates, stored once.
 *
 * File: a 16-byte header ("TWJRNL1\n", the run id as int64), then records: u32 length of the
 * rest, u32 FNV-1a of the rest, int64 receive wall ms, u16 topic length, topic, payload. A torn
 * last record (power loss) is cut off at open. fdatasync at most every sync_ms (power loss
 * loses at most that much; a killed process nothing).
 *
 * Threads: journal_open/begin/each/finish on the main thread before the feed starts or after it
 * stopped; append, mark and sync on the feed's network thread only.
 */
#include <stddef.h>
#include <stdint.h>

struct journal;

/* Opens (creating, 0600 by the umask) and locks the journal at path; reads the header and
 * counts the records a killed recorder left (a torn tail is cut off). NULL with the reason in err
 * (another twintop holds the lock, the file is not a journal, I/O). */
struct journal *journal_open(const char *path, char *err, size_t errlen);

/* The run of the recorder that left this journal (killed: a clean end removes it); 0 for a new
 * journal. */
int64_t journal_run(const struct journal *j);
/* Records left by the previous recorder. */
uint64_t journal_left(const struct journal *j);

/* Calls fn for each record left, in order; stops when fn returns nonzero. Returns 0, or -1 with
 * the reason in err on a read error. */
int journal_each(struct journal *j,
                 int (*fn)(void *ctx, int64_t received_ms, const char *topic, const void *payload,
                           size_t len),
                 void *ctx, char *err, size_t errlen);

/* Starts journaling for run: with no records left the file restarts empty under run's id; with
 * records left they stay until the store has committed them. */
int journal_begin(struct journal *j, int64_t run, char *err, size_t errlen);

/* Appends one message with one write(). Returns 0 or -1 (counted in journal_errors). */
int journal_append(struct journal *j, int64_t received_ms, const char *topic, const void *payload,
                   size_t len);

/* Every record appended so far produced ingest samples below samples (all of them pushed). */
void journal_mark(struct journal *j, uint64_t samples);

/* The store has committed the first committed samples: drops the records they cover, and
 * fdatasyncs when sync_ms have passed since the last sync. */
void journal_sync(struct journal *j, uint64_t committed, int sync_ms);

uint64_t journal_errors(const struct journal *j);

/* Last sync; removes the file when nothing in it is left uncommitted, else keeps it for the next
 * start. Closes and frees; NULL is fine. */
void journal_finish(struct journal *j, uint64_t committed);

#endif
