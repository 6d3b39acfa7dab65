// SPDX-License-Identifier: MIT
/* The MQTT journal: received messages on disk before they are acknowledged, dropped once the
 * store has committed them, replayed by the next start after a kill. */
#include "journal.h"
#include "clock.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define JOURNAL_MAGIC "TWJRNL1\n"
#define JOURNAL_HEADER 16
#define JOURNAL_RECORD_HEAD 18 /* u32 length, u32 checksum, int64 received, u16 topic length */
#define JOURNAL_MARKS 4096
/* Committed bytes before the uncommitted tail moves to a new file (and at least 4 times the tail:
 * copying costs at most a quarter of what was written); they are replayed as duplicates after a
 * kill. */
#define JOURNAL_COMPACT_BYTES (256 << 10)
#define JOURNAL_RECORD_MAX (256u << 20) /* the MQTT limit */

struct journal_mark_entry {
    uint64_t samples;
    off_t end;
};

struct journal {
    int fd;
    char path[1024];
    int64_t run;
    uint64_t left;  /* records a previous recorder left */
    off_t left_end; /* where they end */
    off_t end;      /* file length */
    off_t synced;   /* length at the last fdatasync */
    int64_t synced_ms;
    _Atomic uint64_t errors; /* read by the status line's thread */
    struct journal_mark_entry marks[JOURNAL_MARKS];
    size_t mark_head, mark_count;
};

static uint32_t journal_fnv(uint32_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int journal_fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return -1;
}

static int journal_write_header(int fd, int64_t run)
{
    unsigned char h[JOURNAL_HEADER];
    memcpy(h, JOURNAL_MAGIC, 8);
    memcpy(h + 8, &run, 8);
    return pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h ? 0 : -1;
}

/* Reads the record head at off; returns its total size, 0 at a clean end, -1 when torn or
 * corrupt (the file is cut there). buf receives the body when body is not NULL. */
static ssize_t journal_read_record(int fd, off_t off, off_t size, unsigned char **body, size_t *cap)
{
    unsigned char head[8];
    if (off == size)
        return 0;
    if (size - off < JOURNAL_RECORD_HEAD || pread(fd, head, 8, off) != 8)
        return -1;
    uint32_t len, sum;
    memcpy(&len, head, 4);
    memcpy(&sum, head + 4, 4);
    if (len < JOURNAL_RECORD_HEAD - 8 || len > JOURNAL_RECORD_MAX || (off_t)len > size - off - 8)
        return -1;
    if (*cap < len) {
        unsigned char *grown = realloc(*body, len);
        if (!grown)
            return -1;
        *body = grown;
        *cap = len;
    }
    if (pread(fd, *body, len, off + 8) != (ssize_t)len ||
        journal_fnv(2166136261u, *body, len) != sum)
        return -1;
    uint16_t topic_len;
    memcpy(&topic_len, *body + 8, 2);
    if ((size_t)topic_len + 10 > len)
        return -1;
    return (ssize_t)len + 8;
}

/* Counts the records after the header; cuts a torn tail off. */
static int journal_scan(struct journal *j, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return journal_fail(err, errlen, j->path, strerror(errno));
    unsigned char *body = NULL;
    size_t cap = 0;
    off_t off = JOURNAL_HEADER;
    ssize_t n;
    while ((n = journal_read_record(j->fd, off, st.st_size, &body, &cap)) > 0) {
        off += n;
        j->left++;
    }
    free(body);
    if (n < 0 && ftruncate(j->fd, off) != 0)
        return journal_fail(err, errlen, j->path, strerror(errno));
    j->left_end = j->end = j->synced = off;
    return 0;
}

/* Closes without touching the file (a failed open: it may be another recorder's). */
static void journal_drop(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    free(j);
}

/* mkdir -p of the file's folder: the journal opens before the database creates it. */
static void journal_make_parent(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
}

struct journal *journal_open(const char *path, char *err, size_t errlen)
{
    journal_make_parent(path);
    struct journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(j->path, sizeof j->path, "%s", path);
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        journal_fail(err, errlen, path, strerror(errno));
        free(j);
        return NULL;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        journal_fail(err, errlen, path,
                     errno == EWOULDBLOCK
                         ? "another twintop records this database from MQTT (its journal is locked)"
                         : strerror(errno));
        journal_drop(j);
        return NULL;
    }
    struct stat st;
    unsigned char h[JOURNAL_HEADER];
    if (fstat(j->fd, &st) != 0) {
        journal_fail(err, errlen, path, strerror(errno));
        journal_drop(j);
        return NULL;
    }
    if (st.st_size < JOURNAL_HEADER) { /* new, or killed while being created */
        if (ftruncate(j->fd, 0) != 0 || journal_write_header(j->fd, 0) != 0) {
            journal_fail(err, errlen, path, strerror(errno));
            journal_drop(j);
            return NULL;
        }
    } else if (pread(j->fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
               memcmp(h, JOURNAL_MAGIC, 8) != 0) {
        journal_fail(err, errlen, path, "not a twintop journal (move it away to start afresh)");
        journal_drop(j);
        return NULL;
    } else {
        memcpy(&j->run, h + 8, 8);
    }
    if (journal_scan(j, err, errlen) != 0) {
        journal_drop(j);
        return NULL;
    }
    j->synced_ms = clock_monotonic_ms();
    return j;
}

int64_t journal_run(const struct journal *j)
{
    return j->run;
}

uint64_t journal_left(const struct journal *j)
{
    return j->left;
}

uint64_t journal_errors(const struct journal *j)
{
    return j->errors;
}

int journal_each(struct journal *j,
                 int (*fn)(void *ctx, int64_t received_ms, const char *topic, const void *payload,
                           size_t len),
                 void *ctx, char *err, size_t errlen)
{
    unsigned char *body = NULL;
    size_t cap = 0;
    off_t off = JOURNAL_HEADER;
    int rc = 0;
    while (off < j->left_end && rc == 0) {
        ssize_t n = journal_read_record(j->fd, off, j->left_end, &body, &cap);
        if (n <= 0) {
            rc = journal_fail(err, errlen, j->path, "cannot read a record it held at start");
            break;
        }
        int64_t received;
        uint16_t topic_len;
        memcpy(&received, body, 8);
        memcpy(&topic_len, body + 8, 2);
        char topic[65536];
        memcpy(topic, body + 10, topic_len);
        topic[topic_len] = '\0';
        rc = fn(ctx, received, topic, body + 10 + topic_len, (size_t)n - 8 - 10 - topic_len);
        off += n;
    }
    free(body);
    return rc < 0 ? -1 : 0;
}

int journal_begin(struct journal *j, int64_t run, char *err, size_t errlen)
{
    if (j->left)
        return 0;
    j->run = run;
    if (ftruncate(j->fd, 0) != 0 || journal_write_header(j->fd, run) != 0 || fdatasync(j->fd) != 0)
        return journal_fail(err, errlen, j->path, strerror(errno));
    j->end = j->synced = JOURNAL_HEADER;
    return 0;
}

int journal_append(struct journal *j, int64_t received_ms, const char *topic, const void *payload,
                   size_t len)
{
    size_t topic_len = strlen(topic);
    if (topic_len > 65535 || len + topic_len + 10 > JOURNAL_RECORD_MAX) {
        j->errors++;
        return -1;
    }
    unsigned char head[JOURNAL_RECORD_HEAD];
    uint32_t body_len = (uint32_t)(10 + topic_len + len);
    uint16_t tl = (uint16_t)topic_len;
    memcpy(head, &body_len, 4);
    memcpy(head + 8, &received_ms, 8);
    memcpy(head + 16, &tl, 2);
    uint32_t sum = journal_fnv(2166136261u, head + 8, 10);
    sum = journal_fnv(sum, topic, topic_len);
    sum = journal_fnv(sum, payload, len);
    memcpy(head + 4, &sum, 4);
    struct iovec iov[3] = {{head, sizeof head}, {(void *)topic, topic_len}, {(void *)payload, len}};
    ssize_t want = (ssize_t)(sizeof head + topic_len + len);
    ssize_t n = writev(j->fd, iov, 3);
    if (n != want) {
        /* a partial record (disk full) would hide every later one: cut it off */
        if (n > 0 && ftruncate(j->fd, j->end) != 0)
            j->errors++;
        j->errors++;
        return -1;
    }
    j->end += n;
    return 0;
}

void journal_mark(struct journal *j, uint64_t samples)
{
    if (j->mark_count) {
        struct journal_mark_entry *last =
            &j->marks[(j->mark_head + j->mark_count - 1) % JOURNAL_MARKS];
        if (last->end == j->end) {
            last->samples = samples;
            return;
        }
        if (j->mark_count == JOURNAL_MARKS) { /* coarser, never wrong: the newest mark grows */
            *last = (struct journal_mark_entry){samples, j->end};
            return;
        }
    }
    j->marks[(j->mark_head + j->mark_count++) % JOURNAL_MARKS] =
        (struct journal_mark_entry){samples, j->end};
}

/* Moves the records after safe to a new file that replaces this one. */
static int journal_compact(struct journal *j, off_t safe)
{
    char tmp[sizeof j->path + 8];
    snprintf(tmp, sizeof tmp, "%s.new", j->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = flock(fd, LOCK_EX | LOCK_NB) == 0 && journal_write_header(fd, j->run) == 0;
    char buf[65536];
    for (off_t off = safe; ok && off < j->end;) {
        size_t want = (size_t)(j->end - off) < sizeof buf ? (size_t)(j->end - off) : sizeof buf;
        ssize_t n = pread(j->fd, buf, want, off);
        ok = n > 0 && write(fd, buf, (size_t)n) == n;
        off += n > 0 ? n : 0;
    }
    if (!ok || fdatasync(fd) != 0 || rename(tmp, j->path) != 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(j->fd);
    j->fd = fd;
    off_t shift = safe - JOURNAL_HEADER;
    for (size_t i = 0; i < j->mark_count; i++)
        j->marks[(j->mark_head + i) % JOURNAL_MARKS].end -= shift;
    j->end -= shift;
    j->synced = j->end;
    j->left_end = j->left_end > safe ? j->left_end - shift : JOURNAL_HEADER;
    return 0;
}

void journal_sync(struct journal *j, uint64_t committed, int sync_ms)
{
    off_t safe = 0;
    while (j->mark_count && j->marks[j->mark_head].samples <= committed) {
        safe = j->marks[j->mark_head].end;
        j->mark_head = (j->mark_head + 1) % JOURNAL_MARKS;
        j->mark_count--;
    }
    if (safe == j->end && safe > JOURNAL_HEADER) {
        if (ftruncate(j->fd, JOURNAL_HEADER) == 0) {
            j->end = j->synced = j->left_end = JOURNAL_HEADER;
            j->mark_count = 0;
        } else {
            j->errors++;
        }
    } else if (safe - JOURNAL_HEADER >= JOURNAL_COMPACT_BYTES &&
               safe - JOURNAL_HEADER >= 4 * (j->end - safe) && journal_compact(j, safe) != 0) {
        j->errors++;
    }
    int64_t now = clock_monotonic_ms();
    if (j->end != j->synced && now - j->synced_ms >= sync_ms) {
        if (fdatasync(j->fd) != 0)
            j->errors++;
        j->synced = j->end;
        j->synced_ms = now;
    }
}

void journal_finish(struct journal *j, uint64_t committed)
{
    if (!j)
        return;
    if (j->fd >= 0) {
        journal_sync(j, committed, 0);
        if (j->end <= JOURNAL_HEADER)
            unlink(j->path);
        close(j->fd);
    }
    free(j);
}
