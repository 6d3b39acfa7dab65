// SPDX-License-Identifier: MIT
/* Alarm persistence: the alarms and alarm_actions tables of the history database. */
#include "alarm_store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#define STORE_QUEUE 2048
#define STORE_BATCH 256
/* Changes gather this long before a transaction, so the sample store meets few write locks. */
#define STORE_GATHER_MS 50
#define STORE_BUSY_TIMEOUT_MS 5000

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS alarms("
    " id INTEGER PRIMARY KEY, machine_id TEXT, condition TEXT, priority TEXT, state TEXT,"
    " active INTEGER, acked INTEGER, acked_by TEXT, acked_ts_ms INTEGER,"
    " shelved_until_ms INTEGER, shelve_reason TEXT, first_ts_ms INTEGER, last_ts_ms INTEGER,"
    " count INTEGER, last_value REAL, message TEXT,"
    " shelved INTEGER DEFAULT 0, shelve_oneshot INTEGER DEFAULT 0, suppressed INTEGER DEFAULT 0,"
    " out_of_service INTEGER DEFAULT 0, active_since_ms INTEGER DEFAULT 0,"
    " on_delay_ms INTEGER DEFAULT 0, first_out INTEGER DEFAULT 0, note TEXT DEFAULT '',"
    " UNIQUE(machine_id, condition));"
    "CREATE TABLE IF NOT EXISTS alarm_actions("
    " id INTEGER PRIMARY KEY, alarm_id INTEGER, machine_id TEXT, condition TEXT, action TEXT,"
    " operator TEXT, host TEXT, ts_ms INTEGER, reason TEXT, wall_ts_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS alarm_actions_alarm ON alarm_actions(alarm_id, ts_ms);";

static const char *const upsert_sql =
    "INSERT INTO alarms(id, machine_id, condition, priority, state, active, acked, acked_by,"
    " acked_ts_ms, shelved_until_ms, shelve_reason, first_ts_ms, last_ts_ms, count, last_value,"
    " message, shelved, shelve_oneshot, suppressed, out_of_service, active_since_ms,"
    " on_delay_ms, first_out, note)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,"
    "?24)"
    " ON CONFLICT(machine_id, condition) DO UPDATE SET priority=?4, state=?5, active=?6,"
    " acked=?7, acked_by=?8, acked_ts_ms=?9, shelved_until_ms=?10, shelve_reason=?11,"
    " first_ts_ms=?12, last_ts_ms=?13, count=?14, last_value=?15, message=?16, shelved=?17,"
    " shelve_oneshot=?18, suppressed=?19, out_of_service=?20, active_since_ms=?21,"
    " on_delay_ms=?22, first_out=?23, note=?24";

static const char *const action_sql =
    "INSERT INTO alarm_actions(alarm_id, machine_id, condition, action, operator, host, ts_ms,"
    " reason, wall_ts_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)";

static const char *const load_sql =
    "SELECT id, machine_id, condition, priority, active, acked, acked_by, acked_ts_ms,"
    " shelved_until_ms, shelve_reason, first_ts_ms, last_ts_ms, count, last_value, message,"
    " shelved, shelve_oneshot, suppressed, out_of_service, active_since_ms, on_delay_ms,"
    " first_out, note FROM alarms ORDER BY id";

struct store_record {
    bool has_action;
    struct alarm_info alarm;
    struct alarm_action action;
};

struct alarm_store {
    sqlite3 *db;
    sqlite3_stmt *upsert, *insert_action;
    char path[1024];
    struct alarm_manager *manager;
    pthread_t thread;
    bool started, stopping;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    struct store_record *queue;
    struct store_record batch[STORE_BATCH]; /* the writer's copy, written outside the lock */
    size_t head, len;
    uint64_t enqueued, written; /* records; flush waits for written to catch up */
    bool writing;
    bool resync;            /* a row update did not fit: rewrite every alarm row */
    struct alarm_info *all; /* resync buffer, grown on the writer thread */
    int all_cap;
    int flush_error;
    struct alarm_store_stats stats;
};

/* Keeps the newest write error (path: step: SQLite's message) for the UI and the log. */
static void set_error(struct alarm_store *s, const char *what)
{
    char text[sizeof s->stats.last_error];
    size_t n = (size_t)snprintf(text, sizeof text, "%.100s: %s: ", s->path, what);
    if (n < sizeof text)
        snprintf(text + n, sizeof text - n, "%s", sqlite3_errmsg(s->db));
    pthread_mutex_lock(&s->lock);
    memcpy(s->stats.last_error, text, sizeof text);
    pthread_mutex_unlock(&s->lock);
}

/* Creates the folders above path (mode 0700), as the default $XDG_DATA_HOME/twintop may not
 * exist yet. Failures show up when SQLite opens the file. */
static void make_parents(const char *path)
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

struct alarm_store *alarm_store_open(const char *path, char *err, size_t errlen)
{
    struct alarm_store *s = calloc(1, sizeof *s);
    if (s)
        s->queue = calloc(STORE_QUEUE, sizeof *s->queue);
    if (!s || !s->queue) {
        if (s)
            free(s);
        snprintf(err, errlen, "%s: out of memory for the alarm store", path);
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->idle, NULL);
    make_parents(path);
    const char *step = "open";
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        step = "WAL mode";
        rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                          NULL);
    }
    if (rc == SQLITE_OK) {
        step = "create alarm tables";
        rc = sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        step = "prepare";
        rc = sqlite3_prepare_v2(s->db, upsert_sql, -1, &s->upsert, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, action_sql, -1, &s->insert_action, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s: %s", path, step,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        alarm_store_close(s);
        return NULL;
    }
    return s;
}

static void on_change(void *ctx, enum alarm_change what, const struct alarm_info *a,
                      const struct alarm_action *act)
{
    struct alarm_store *s = ctx;
    (void)what;
    pthread_mutex_lock(&s->lock);
    /* Row updates may fill 3/4 of the queue: the rest is kept for the audit trail. A row that
     * does not fit is not lost: the writer rewrites every alarm row (resync). */
    size_t room = act ? STORE_QUEUE : STORE_QUEUE * 3 / 4;
    if (s->len >= room) {
        s->resync = true;
        if (act)
            s->stats.dropped++;
    } else {
        struct store_record *r = &s->queue[(s->head + s->len++) % STORE_QUEUE];
        r->alarm = *a;
        r->has_action = act != NULL;
        if (act)
            r->action = *act;
        s->enqueued++;
    }
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

static int write_alarm(struct alarm_store *s, const struct alarm_info *a)
{
    sqlite3_stmt *st = s->upsert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_text(st, 2, a->machine_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->condition, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, alarm_priority_name(a->priority), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, alarm_state_name(a->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, a->active);
    sqlite3_bind_int(st, 7, a->acked);
    sqlite3_bind_text(st, 8, a->acked_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, a->acked_ts_ms);
    sqlite3_bind_int64(st, 10, a->shelved_until_ms);
    sqlite3_bind_text(st, 11, a->shelve_reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 12, a->first_ts_ms);
    sqlite3_bind_int64(st, 13, a->last_ts_ms);
    sqlite3_bind_int64(st, 14, a->count);
    sqlite3_bind_double(st, 15, a->last_value);
    sqlite3_bind_text(st, 16, a->message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 17, a->shelved);
    sqlite3_bind_int(st, 18, a->shelve_oneshot);
    sqlite3_bind_int(st, 19, a->suppressed);
    sqlite3_bind_int(st, 20, a->out_of_service);
    sqlite3_bind_int64(st, 21, a->active_since_ms);
    sqlite3_bind_int64(st, 22, a->on_delay_ms);
    sqlite3_bind_int(st, 23, a->first_out);
    sqlite3_bind_text(st, 24, a->note, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int write_action(struct alarm_store *s, const struct alarm_action *act)
{
    sqlite3_stmt *st = s->insert_action;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, act->alarm_id);
    sqlite3_bind_text(st, 2, act->machine_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, act->condition, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, act->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, act->operator_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, act->host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, act->ts_ms);
    sqlite3_bind_text(st, 8, act->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, act->wall_ts_ms);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Writes one batch in one transaction (outside the queue lock). */
static void write_batch(struct alarm_store *s, const struct store_record *batch, size_t n)
{
    uint64_t alarms = 0, actions = 0;
    int failed = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK;
    if (failed)
        set_error(s, "begin");
    for (size_t i = 0; i < n && !failed; i++) {
        if (write_alarm(s, &batch[i].alarm) != 0) {
            set_error(s, "write alarm");
            failed = 1;
        } else if (batch[i].has_action && write_action(s, &batch[i].action) != 0) {
            set_error(s, "write alarm action");
            failed = 1;
        }
        alarms++;
        actions += batch[i].has_action;
    }
    if (!failed && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        set_error(s, "commit");
        failed = 1;
    }
    if (failed)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&s->lock);
    if (failed) {
        s->stats.errors++;
        s->flush_error = 1;
    } else {
        s->stats.alarms_written += alarms;
        s->stats.actions_written += actions;
    }
    pthread_mutex_unlock(&s->lock);
}

/* Rewrites every alarm row from the manager's current state (after row updates were shed). */
static void write_all_rows(struct alarm_store *s)
{
    int need = alarm_count(s->manager);
    if (need > s->all_cap) {
        struct alarm_info *grown = realloc(s->all, (size_t)need * sizeof *grown);
        if (!grown) {
            pthread_mutex_lock(&s->lock);
            s->resync = true; /* try again on the next batch */
            s->stats.errors++;
            pthread_mutex_unlock(&s->lock);
            return;
        }
        s->all = grown;
        s->all_cap = need;
    }
    int n = alarm_list(s->manager, ALARM_LIST_ALL, NULL, s->all, s->all_cap);
    for (int i = 0; i < n; i += STORE_BATCH) {
        int k = n - i < STORE_BATCH ? n - i : STORE_BATCH;
        for (int j = 0; j < k; j++) {
            s->batch[j].alarm = s->all[i + j];
            s->batch[j].has_action = false;
        }
        write_batch(s, s->batch, (size_t)k);
    }
    pthread_mutex_lock(&s->lock);
    s->stats.resyncs++;
    pthread_mutex_unlock(&s->lock);
}

static void *writer_main(void *arg)
{
    struct alarm_store *s = arg;
    struct store_record *batch = s->batch;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->len == 0 && !s->resync && !s->stopping)
            pthread_cond_wait(&s->wake, &s->lock);
        if (s->len == 0 && s->resync) {
            s->resync = false;
            s->writing = true;
            pthread_mutex_unlock(&s->lock);
            write_all_rows(s);
            pthread_mutex_lock(&s->lock);
            s->writing = false;
            pthread_cond_broadcast(&s->idle);
            continue;
        }
        if (s->len == 0 && s->stopping)
            break;
        if (s->len < STORE_BATCH && !s->stopping) {
            struct timespec gather = {0, STORE_GATHER_MS * 1000000L};
            pthread_mutex_unlock(&s->lock);
            nanosleep(&gather, NULL);
            pthread_mutex_lock(&s->lock);
        }
        size_t n = 0;
        while (n < STORE_BATCH && s->len > 0) {
            batch[n++] = s->queue[s->head];
            s->head = (s->head + 1) % STORE_QUEUE;
            s->len--;
        }
        s->writing = true;
        pthread_mutex_unlock(&s->lock);
        write_batch(s, batch, n);
        pthread_mutex_lock(&s->lock);
        s->writing = false;
        s->written += n;
        pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void row_text(sqlite3_stmt *st, int col, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static int load_alarms(struct alarm_store *s, struct alarm_manager *m, int64_t now_ms, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, load_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: load alarms: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct alarm_info a;
        char prio[16];
        memset(&a, 0, sizeof a);
        a.id = (uint32_t)sqlite3_column_int64(st, 0);
        row_text(st, 1, a.machine_id, sizeof a.machine_id);
        row_text(st, 2, a.condition, sizeof a.condition);
        row_text(st, 3, prio, sizeof prio);
        a.priority = alarm_priority_parse(prio);
        a.active = sqlite3_column_int(st, 4);
        a.acked = sqlite3_column_int(st, 5);
        row_text(st, 6, a.acked_by, sizeof a.acked_by);
        a.acked_ts_ms = sqlite3_column_int64(st, 7);
        a.shelved_until_ms = sqlite3_column_int64(st, 8);
        row_text(st, 9, a.shelve_reason, sizeof a.shelve_reason);
        a.first_ts_ms = sqlite3_column_int64(st, 10);
        a.last_ts_ms = sqlite3_column_int64(st, 11);
        a.count = (uint32_t)sqlite3_column_int64(st, 12);
        a.last_value = sqlite3_column_double(st, 13);
        row_text(st, 14, a.message, sizeof a.message);
        a.shelved = sqlite3_column_int(st, 15);
        a.shelve_oneshot = sqlite3_column_int(st, 16);
        a.suppressed = sqlite3_column_int(st, 17);
        a.out_of_service = sqlite3_column_int(st, 18);
        a.active_since_ms = sqlite3_column_int64(st, 19);
        a.on_delay_ms = sqlite3_column_int64(st, 20);
        a.first_out = sqlite3_column_int(st, 21);
        row_text(st, 22, a.note, sizeof a.note);
        if (a.id == 0 || !a.machine_id[0] || !a.condition[0])
            continue;
        if (alarm_restore(m, &a, now_ms) != 0) {
            snprintf(err, errlen, "%s: more stored alarms than the manager holds (%d)", s->path, n);
            sqlite3_finalize(st);
            return -1;
        }
        n++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: load alarms: %s", s->path, sqlite3_errmsg(s->db));
        n = -1;
    }
    sqlite3_finalize(st);
    return n;
}

int alarm_store_attach(struct alarm_store *s, struct alarm_manager *m, int64_t now_ms, char *err,
                       size_t errlen)
{
    if (s->manager) {
        snprintf(err, errlen, "%s: alarm store already attached", s->path);
        return -1;
    }
    struct alarm_listener l = {.ctx = s, .on_change = on_change};
    if (alarm_add_listener(m, &l) != 0) {
        snprintf(err, errlen, "alarm manager: too many listeners");
        return -1;
    }
    s->manager = m;
    int n = load_alarms(s, m, now_ms, err, errlen);
    if (n < 0)
        return -1;
    if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
        snprintf(err, errlen, "%s: cannot start the alarm writer thread", s->path);
        return -1;
    }
    s->started = true;
    return n;
}

int alarm_store_flush(struct alarm_store *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->enqueued;
    while (s->started && (s->written < target || s->resync || s->writing))
        pthread_cond_wait(&s->idle, &s->lock);
    int rc = s->flush_error ? -1 : 0;
    s->flush_error = 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void alarm_store_get_stats(struct alarm_store *s, struct alarm_store_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

void alarm_store_close(struct alarm_store *s)
{
    if (!s)
        return;
    if (s->manager)
        alarm_remove_listener(s->manager, s);
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    sqlite3_finalize(s->upsert);
    sqlite3_finalize(s->insert_action);
    if (s->db)
        sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->idle);
    free(s->queue);
    free(s->all);
    free(s);
}
