// SPDX-License-Identifier: MIT
/* The history database schema and its migrations. */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

const char *const store_window_names[STORE_WINDOWS] = {"1min", "5min", "1hour"};
const int64_t store_window_ms[STORE_WINDOWS] = {60000, 300000, 3600000};

int store_window_find(const char *name)
{
    for (int i = 0; i < STORE_WINDOWS; i++)
        if (strcmp(name, store_window_names[i]) == 0)
            return i;
    return -1;
}

/* The samples and rollups views since version 4 (a table they read is rebuilt: drop, then this). */
#define STORE_SCHEMA_VIEWS_V4                                                                      \
    "CREATE VIEW samples AS"                                                                       \
    "  SELECT s.run AS run, m.machine_id AS machine_id, s.name AS sensor, r.key >> 14 AS ts_ms,"   \
    "         r.value AS value"                                                                    \
    "  FROM raw_samples r JOIN sensors s ON s.id = (r.key & 16383)"                                \
    "  JOIN machines m ON m.id = s.machine;"                                                       \
    "CREATE VIEW rollups AS"                                                                       \
    "  SELECT s.run AS run,"                                                                       \
    "         CASE d.win WHEN 0 THEN '1min' WHEN 1 THEN '5min' ELSE '1hour' END AS \"window\","    \
    "         m.machine_id AS machine_id, s.name AS sensor, d.bucket_start_ms AS bucket_start_ms," \
    "         d.count AS count, d.min AS min, d.max AS max, d.sum / d.count AS mean"               \
    "  FROM rollup_data d JOIN sensors s ON s.id = d.sensor"                                       \
    "  JOIN machines m ON m.id = s.machine;"

/* migrations[v] takes a file from user_version v to v + 1. Version 1 was the first cut (raw
 * samples only); version 2 adds rollups and anomalies and backfills the rollups from raw data;
 * version 3 adds the alarm change log; version 4 adds runs: every sensor row, anomaly and alarm
 * change belongs to one run, so two runs that record the same plant time get different raw keys.
 * What an older file holds becomes run 1, "legacy". Version 5 adds the maintenance record: each
 * machine's status once a plant minute (availability, health, RUL) and the plan's log. Version 6
 * rebuilds raw_samples WITHOUT ROWID; version 7 records where a machine stands (area and line:
 * the catalog's, or a Sparkplug feed's group and edge node). */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    "CREATE TABLE IF NOT EXISTS machines("
    "  id INTEGER PRIMARY KEY,"
    "  machine_id TEXT NOT NULL UNIQUE,"
    "  type TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS sensors("
    "  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 16383),"
    "  machine INTEGER NOT NULL REFERENCES machines(id),"
    "  name TEXT NOT NULL,"
    "  unit TEXT NOT NULL DEFAULT '',"
    "  is_text INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(machine, name));"
    /* key = (ts_ms << 14) | sensors.id: the rowid itself, so a sample costs ~21 bytes. */
    "CREATE TABLE IF NOT EXISTS raw_samples("
    "  key INTEGER PRIMARY KEY,"
    "  value REAL);"
    "CREATE VIEW IF NOT EXISTS samples AS"
    "  SELECT m.machine_id AS machine_id, s.name AS sensor, r.key >> 14 AS ts_ms,"
    "         r.value AS value"
    "  FROM raw_samples r JOIN sensors s ON s.id = (r.key & 16383)"
    "  JOIN machines m ON m.id = s.machine;",

    "CREATE TABLE IF NOT EXISTS rollup_data("
    "  win INTEGER NOT NULL,"
    "  sensor INTEGER NOT NULL,"
    "  bucket_start_ms INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  min REAL, max REAL, sum REAL,"
    "  PRIMARY KEY (win, sensor, bucket_start_ms)) WITHOUT ROWID;"
    "CREATE VIEW IF NOT EXISTS rollups AS"
    "  SELECT CASE d.win WHEN 0 THEN '1min' WHEN 1 THEN '5min' ELSE '1hour' END AS \"window\","
    "         m.machine_id AS machine_id, s.name AS sensor, d.bucket_start_ms AS bucket_start_ms,"
    "         d.count AS count, d.min AS min, d.max AS max, d.sum / d.count AS mean"
    "  FROM rollup_data d JOIN sensors s ON s.id = d.sensor"
    "  JOIN machines m ON m.id = s.machine;"
    "CREATE TABLE IF NOT EXISTS anomalies("
    "  id INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  machine_id TEXT NOT NULL,"
    "  sensor TEXT NOT NULL DEFAULT '',"
    "  detector TEXT NOT NULL DEFAULT '',"
    "  value REAL,"
    "  score REAL,"
    "  reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS anomalies_ts ON anomalies(ts_ms);"
    "INSERT OR IGNORE INTO rollup_data"
    "  SELECT w.win, r.key & 16383, ((r.key >> 14) / w.ms) * w.ms, count(*), min(r.value),"
    "         max(r.value), sum(r.value)"
    "  FROM raw_samples r, (SELECT 0 AS win, 60000 AS ms UNION ALL SELECT 1, 300000"
    "                       UNION ALL SELECT 2, 3600000) w"
    "  WHERE typeof(r.value) IN ('real', 'integer')"
    "  GROUP BY 1, 2, 3;",

    "CREATE TABLE IF NOT EXISTS alarm_events("
    "  id INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  machine_id TEXT NOT NULL,"
    "  condition TEXT NOT NULL,"
    "  change TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT '',"
    "  priority TEXT NOT NULL DEFAULT '',"
    "  value REAL,"
    "  reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events(ts_ms);",

    "CREATE TABLE IF NOT EXISTS runs("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  scenario TEXT NOT NULL DEFAULT '',"
    "  seed INTEGER,"
    "  speed REAL,"
    "  catalog TEXT NOT NULL DEFAULT '',"
    "  started_wall_ms INTEGER NOT NULL,"
    "  ended_wall_ms INTEGER,"
    "  first_ts_ms INTEGER,"
    "  last_ts_ms INTEGER,"
    "  samples INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO runs(id, source, started_wall_ms, ended_wall_ms, first_ts_ms, last_ts_ms, samples)"
    "  SELECT 1, 'legacy', coalesce(min(key) >> 14, 0), max(key) >> 14, min(key) >> 14,"
    "         max(key) >> 14, count(*) FROM raw_samples"
    "  HAVING count(*) > 0 OR EXISTS (SELECT 1 FROM sensors);"
    "DROP VIEW IF EXISTS samples;"
    "DROP VIEW IF EXISTS rollups;"
    "CREATE TABLE sensors_v4("
    "  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 16383),"
    "  machine INTEGER NOT NULL REFERENCES machines(id),"
    "  name TEXT NOT NULL,"
    "  unit TEXT NOT NULL DEFAULT '',"
    "  is_text INTEGER NOT NULL DEFAULT 0,"
    "  run INTEGER NOT NULL DEFAULT 1,"
    "  UNIQUE(run, machine, name));"
    "INSERT INTO sensors_v4 SELECT id, machine, name, unit, is_text, 1 FROM sensors;"
    "DROP TABLE sensors;"
    "ALTER TABLE sensors_v4 RENAME TO sensors;" STORE_SCHEMA_VIEWS_V4
    "ALTER TABLE anomalies ADD COLUMN run INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE alarm_events ADD COLUMN run INTEGER NOT NULL DEFAULT 1;",

    "CREATE TABLE IF NOT EXISTS machine_status("
    "  id INTEGER PRIMARY KEY,"
    "  run INTEGER NOT NULL DEFAULT 1,"
    "  ts_ms INTEGER NOT NULL,"
    "  machine_id TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  health REAL,"
    "  rul_hours REAL,"
    "  anomaly REAL);"
    "CREATE INDEX IF NOT EXISTS machine_status_ts ON machine_status(machine_id, ts_ms, state);"
    "CREATE TABLE IF NOT EXISTS maint_actions("
    "  id INTEGER PRIMARY KEY,"
    "  run INTEGER NOT NULL DEFAULT 1,"
    "  ts_ms INTEGER NOT NULL,"
    "  machine_id TEXT NOT NULL,"
    "  fault TEXT NOT NULL,"
    "  component TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  change TEXT NOT NULL,"
    "  urgency TEXT NOT NULL,"
    "  first_recommended_ms INTEGER,"
    "  due_ms INTEGER,"
    "  due_earliest_ms INTEGER,"
    "  due_latest_ms INTEGER,"
    "  rul_hours REAL,"
    "  sensor TEXT NOT NULL DEFAULT '',"
    "  evidence TEXT NOT NULL DEFAULT '',"
    "  operator TEXT,"
    "  host TEXT,"
    "  wall_ts_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS maint_actions_ts ON maint_actions(ts_ms);",

    /* Version 6: raw_samples WITHOUT ROWID (same columns, same keys), so that the writer's
     * ascending inserts stay on the last leaf instead of descending from the root per row. */
    "DROP VIEW IF EXISTS samples;"
    "DROP VIEW IF EXISTS rollups;"
    "CREATE TABLE raw_samples_v6("
    "  key INTEGER PRIMARY KEY,"
    "  value REAL) WITHOUT ROWID;"
    "INSERT INTO raw_samples_v6 SELECT key, value FROM raw_samples ORDER BY key;"
    "DROP TABLE raw_samples;"
    "ALTER TABLE raw_samples_v6 RENAME TO raw_samples;" STORE_SCHEMA_VIEWS_V4,

    "ALTER TABLE machines ADD COLUMN area TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE machines ADD COLUMN line TEXT NOT NULL DEFAULT '';",
};

static int schema_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* A file with tables of its own but no version is someone else's database: refuse it. */
static int schema_is_foreign(sqlite3 *db)
{
    sqlite3_stmt *st;
    int foreign = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT IN"
                           " ('alarms', 'alarm_actions') AND name NOT LIKE 'sqlite_%'",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        foreign = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return foreign;
}

int store_schema_apply(struct sqlite3 *db, int version, char *err, size_t errlen)
{
    int current = 0;
    int rc = schema_version(db, &current);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -rc;
    }
    if (current > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema version %d is newer than this twintop (%d)", current,
                 STORE_SCHEMA_VERSION);
        return -SQLITE_MISMATCH;
    }
    if (current == 0 && schema_is_foreign(db)) {
        snprintf(err, errlen, "not a twintop history file (it holds other tables)");
        return -SQLITE_MISMATCH;
    }
    for (int v = current; v < version; v++) {
        char sql[64];
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "migrating schema %d to %d: %s", v, v + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -rc;
        }
    }
    return 0;
}

int store_init_schema(const char *path, int version, char *err, size_t errlen)
{
    if (version < 1 || version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "no schema version %d", version);
        return -1;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    char why[256];
    rc = store_schema_apply(db, version, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    sqlite3_close(db);
    return rc == 0 ? 0 : -1;
}
