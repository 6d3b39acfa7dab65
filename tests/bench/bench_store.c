// SPDX-License-Identifier: MIT
/* History speed: recording through the store (sink -> queue -> writer thread with rollups)
 * against a bare prepared-statement bulk insert of the same rows into the same schema, bytes on
 * disk per raw sample (dbstat of raw_samples), and CSV export of the recorded file.
 * Prints BENCH lines. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "store.h"
#include "store_export.h"

#define MACHINES 16
#define SENSORS 8
#define SAMPLES 1000000
#define ROUNDS 5
#define BASE_MS 1795000000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (all threads): steadier than wall time on a busy machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A plant-like stream: every sensor of every machine once per simulated second, random walks. */
static struct sample *make_stream(size_t n)
{
    struct sample *s = malloc(sizeof *s * n);
    if (!s)
        return NULL;
    double level[MACHINES][SENSORS];
    for (int m = 0; m < MACHINES; m++)
        for (int k = 0; k < SENSORS; k++)
            level[m][k] = 20.0 + 10.0 * k + m;
    srand(7);
    for (size_t i = 0; i < n; i++) {
        size_t step = i / (MACHINES * SENSORS);
        int m = (int)(i / SENSORS % MACHINES), k = (int)(i % SENSORS);
        level[m][k] += (rand() / (double)RAND_MAX - 0.5) * 0.1;
        s[i] = (struct sample){.ts_ms = BASE_MS + (int64_t)step * 1000,
                               .machine = (uint32_t)m + 2,
                               .sensor = (uint16_t)k,
                               .kind = SAMPLE_VALUE};
        s[i].u.value = level[m][k];
    }
    return s;
}

static struct catalog *make_catalog(void)
{
    char err[256];
    struct catalog *cat = catalog_load("tests/data/mini.json", err, sizeof err);
    if (!cat) {
        fprintf(stderr, "bench_store: %s\n", err);
        return NULL;
    }
    catalog_set_max_machines(cat, MACHINES + catalog_machine_count(cat));
    for (int m = 0; m < MACHINES; m++) {
        char id[32], name[32];
        snprintf(id, sizeof id, "M%02d", m);
        int mi = catalog_add_machine(cat, id, NULL);
        if (mi != m + 2)
            return NULL;
        for (int k = 0; k < SENSORS; k++) {
            snprintf(name, sizeof name, "sensor_%d", k);
            catalog_add_sensor(cat, mi, name, false);
        }
    }
    return cat;
}

static void remove_db(const char *path)
{
    char p[512];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* The bare baseline: prepared INSERTs of precomputed keys, 250k rows per transaction. */
static double bench_bare(const char *path, const struct sample *s, size_t n, double *cpu_rate)
{
    char err[256];
    *cpu_rate = 0;
    remove_db(path);
    if (store_init_schema(path, STORE_SCHEMA_VERSION, err, sizeof err) != 0)
        return -1;
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    sqlite3_exec(db, "INSERT INTO machines(id, machine_id) VALUES (1, 'M')", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO raw_samples(key, value) VALUES (?1, ?2)", -1, &ins, NULL);
    double t0 = now_s(), c0 = cpu_s();
    for (size_t i = 0; i < n; i++) {
        if (i % 250000 == 0)
            sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
        uint64_t id = 1 + (s[i].machine - 2) * SENSORS + s[i].sensor;
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)((uint64_t)s[i].ts_ms << STORE_SENSOR_BITS | id));
        sqlite3_bind_double(ins, 2, s[i].u.value);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double t = now_s() - t0;
    *cpu_rate = n / (cpu_s() - c0);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return n / t;
}

static double bench_store(const char *path, struct catalog *cat, const struct sample *s, size_t n,
                          double *bytes_per_sample, double *cpu_rate)
{
    char err[256];
    *cpu_rate = 0;
    remove_db(path);
    struct store_options o;
    store_options_default(&o);
    o.block_when_full = true; /* measure the writer, not the drop counter */
    struct store *st = store_open(path, &o, cat, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    struct engine_sink sink = store_sink(st);
    double t0 = now_s(), c0 = cpu_s();
    for (size_t i = 0; i < n; i += 1024)
        sink.on_samples(sink.ctx, s + i, n - i < 1024 ? n - i : 1024);
    store_flush(st, 600000);
    double t = now_s() - t0;
    *cpu_rate = n / (cpu_s() - c0);
    struct store_status stat;
    store_status(st, &stat);
    store_close(st);
    if (stat.written != n)
        fprintf(stderr, "bench_store: wrote %llu of %zu\n", (unsigned long long)stat.written, n);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_stmt *q;
    *bytes_per_sample = NAN;
    if (sqlite3_prepare_v2(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'raw_samples'", -1, &q,
                           NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        *bytes_per_sample = sqlite3_column_double(q, 0) / (double)n;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return stat.written / t;
}

static double bench_export(const char *path, size_t n)
{
    char err[256];
    struct store_reader *r = store_read_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    FILE *out = fopen("/dev/null", "w");
    struct store_query q;
    store_read_query_default(&q);
    double t0 = now_s();
    long long rows = store_export_write(r, &q, STORE_FORMAT_CSV, out, err, sizeof err);
    double t = now_s() - t0;
    fclose(out);
    store_read_close(r);
    if (rows != (long long)n)
        fprintf(stderr, "bench_store: exported %lld of %zu rows: %s\n", rows, n, err);
    return rows / t;
}

int main(void)
{
    char dir[] = "/tmp/twintop-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[128];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    struct sample *s = make_stream(SAMPLES);
    struct catalog *cat = make_catalog();
    if (!s || !cat)
        return 1;
    /* Alternating rounds, best of each: a loaded machine slows one run, not the comparison. */
    double bare = 0, rec = 0, bytes = NAN, bare_cpu = 0, rec_cpu = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double bc = 0, rc = 0;
        double b = bench_bare(path, s, SAMPLES, &bc);
        double r = bench_store(path, cat, s, SAMPLES, &bytes, &rc);
        bare = b > bare ? b : bare;
        rec = r > rec ? r : rec;
        bare_cpu = bc > bare_cpu ? bc : bare_cpu;
        rec_cpu = rc > rec_cpu ? rc : rec_cpu;
    }
    printf("BENCH store_bare_insert %.0f samples/s\n", bare);
    printf("BENCH store_record %.0f samples/s\n", rec);
    printf("BENCH store_record_vs_bare %.1f %%\n", 100.0 * rec / bare);
    printf("BENCH store_record_cpu_vs_bare %.1f %%\n", 100.0 * rec_cpu / bare_cpu);
    printf("BENCH store_bytes_per_raw_sample %.2f bytes\n", bytes);
    double exp = bench_export(path, SAMPLES);
    printf("BENCH store_export_csv %.0f rows/s\n", exp);
    remove_db(path);
    rmdir(dir);
    catalog_free(cat);
    free(s);
    return rec >= 0 && bare > 0 && exp > 0 ? 0 : 1;
}
