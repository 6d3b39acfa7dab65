// SPDX-License-Identifier: MIT
/* `twintop detect`: the detector stack over a CSV file, one pass, no look-ahead. */
#include "detect_csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_COLS_MAX (CATALOG_SENSORS_MAX + 1)

/* Splits line in place at sep (quotes around a field are stripped, a quoted field may hold
 * sep). Returns the number of fields, or -1 when there are more than max. */
static int csv_split(char *line, char sep, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        if (*p == '"') {
            char *end = strchr(p + 1, '"');
            if (end && (end[1] == sep || end[1] == '\0')) {
                fields[n++] = p + 1;
                *end = '\0';
                p = end + 1;
                if (*p == '\0')
                    return n;
                p++;
                continue;
            }
        }
        fields[n++] = p;
        char *end = strchr(p, sep);
        if (!end)
            return n;
        *end = '\0';
        p = end + 1;
    }
}

static char *csv_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    return s;
}

static void csv_chomp(char *line, ssize_t *len)
{
    while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r'))
        line[--*len] = '\0';
}

/* A synthetic type for the file: one numeric sensor per column after the first, no limits. */
static int csv_type(struct catalog_type *t, char **fields, int n, const char *name, char *err,
                    size_t errlen)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "csv");
    t->sample_period_s = 1.0;
    for (int i = 1; i < n; i++) {
        char *col = csv_trim(fields[i]);
        if (*col == '\0') {
            snprintf(err, errlen, "%s:1: bad header: column %d has no name", name, i + 1);
            return -1;
        }
        struct catalog_sensor *s = &t->sensors[i - 1];
        snprintf(s->name, sizeof(s->name), "%s", col);
        s->nominal = s->display_min = s->display_max = NAN;
        s->normal_lo = s->normal_hi = NAN;
        s->warn_lo = s->warn_hi = s->alarm_lo = s->alarm_hi = NAN;
    }
    t->sensor_count = n - 1;
    return 0;
}

static int csv_header(char *line, const struct detect_csv_options *opt, const char *name,
                      struct catalog_type *t, char *err, size_t errlen)
{
    char *fields[CSV_COLS_MAX];
    int n = csv_split(line, opt->sep, fields, CSV_COLS_MAX);
    if (n < 0) {
        snprintf(err, errlen, "%s:1: bad header: more than %d sensor columns", name,
                 CATALOG_SENSORS_MAX);
        return -1;
    }
    if (n < 2) {
        snprintf(err, errlen,
                 "%s:1: bad header: need a timestamp column and at least one value column "
                 "separated by '%c'",
                 name, opt->sep);
        return -1;
    }
    return csv_type(t, fields, n, name, err, errlen);
}

static int csv_values(char *line, const struct detect_csv_options *opt, const char *name,
                      long lineno, const struct catalog_type *t, double *values, char *err,
                      size_t errlen)
{
    char *fields[CSV_COLS_MAX];
    int n = csv_split(line, opt->sep, fields, CSV_COLS_MAX);
    if (n != t->sensor_count + 1) {
        snprintf(err, errlen, "%s:%ld: %d fields, the header has %d", name, lineno,
                 n < 0 ? CSV_COLS_MAX + 1 : n, t->sensor_count + 1);
        return -1;
    }
    for (int i = 1; i < n; i++) {
        char *cell = csv_trim(fields[i]);
        if (*cell == '\0') {
            values[i - 1] = NAN; /* missing reading */
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(cell, &end);
        if (*end != '\0' || end == cell || !isfinite(v)) {
            snprintf(err, errlen, "%s:%ld: column %d (%s): \"%.32s\" is not a number", name, lineno,
                     i + 1, t->sensors[i - 1].name, cell);
            return -1;
        }
        values[i - 1] = v;
    }
    return 0;
}

/* Rarity of a score against every score this run has seen: a Fenwick tree over fixed bins
 * gives the empirical distribution; above its 98th percentile an exponential tail fitted to the
 * excesses (peaks over threshold, as in SPOT) extrapolates, so a value far beyond anything seen
 * is rarer than one just past the record. Reported as -log10(tail probability) / 10, so one
 * threshold means the same false-alarm rate on every series, whatever its noise or length
 * (the role of HTM's anomaly likelihood): 0.5 is a one-in-100000 row. */
#define CSV_BINS 4096
#define CSV_DETECTORS 3 /* z-score, drift, forest */
#define CSV_TAIL_Q 0.98 /* where the fitted tail starts */
struct csv_rarity {
    double tree[CSV_BINS + 1];
    double total;
    double excess_sum, excess_n; /* excesses over the tail threshold */
};

/* The detectors' 0..1 scores are a/(a + threshold); the tail is fitted on a itself. */
static double csv_stat(double score)
{
    return score >= 1.0 ? 1e9 : score / (1.0 - score);
}

/* Lowest bin whose cumulative count reaches `count` (Fenwick descent). */
static int csv_bin_at(const struct csv_rarity *r, double count)
{
    int pos = 0;
    for (int step = CSV_BINS; step > 0; step >>= 1)
        if (pos + step <= CSV_BINS && r->tree[pos + step] < count) {
            pos += step;
            count -= r->tree[pos];
        }
    return pos; /* 0-based bin index */
}

static float csv_rarity(struct csv_rarity *r, float score)
{
    int bin = (int)(score * (CSV_BINS - 1) + 0.5f);
    bin = bin < 0 ? 0 : bin >= CSV_BINS ? CSV_BINS - 1 : bin;
    double below = 0.0;
    for (int i = bin; i > 0; i -= i & -i)
        below += r->tree[i];
    double p = 1.0;
    if (r->total >= 50) {
        /* empirical: a value beyond all earlier ones has p = 0 and scores 1 (and, being a tie
         * at the top, is reported once per `hold` rows; see csv_new_high) */
        p = 1.0 - below / r->total;
        double q = csv_stat((double)csv_bin_at(r, CSV_TAIL_Q * r->total) / (CSV_BINS - 1));
        double a = csv_stat(score);
        if (a > q) {
            if (r->excess_n >= 5 && r->excess_sum > 0) {
                double beta = r->excess_sum / r->excess_n;
                p = fmin(p, (1.0 - CSV_TAIL_Q) * exp(-(a - q) / beta));
            }
            r->excess_sum += a - q;
            r->excess_n += 1.0;
        }
    }
    for (int i = bin + 1; i <= CSV_BINS; i += i & -i)
        r->tree[i] += 1.0;
    r->total += 1.0;
    double out = p > 0 ? -log10(p) / 10.0 : 1.0;
    return (float)(out < 0 ? 0 : out > 1 ? 1 : out);
}

/* Sliding maximum of the fused score over the last `hold` rows (monotonic deque). */
struct csv_peak {
    int cap, head, len;
    long row;
    long *at;
    float *score;
};

/* Reports a score only when it rises above everything of the last `hold` rows, 0 otherwise:
 * one anomaly is one report, whatever threshold the reader applies afterwards. */
static float csv_new_high(struct csv_peak *p, float score)
{
    float out = score;
    while (p->len > 0 && p->at[p->head] <= p->row - p->cap) {
        p->head = (p->head + 1) % p->cap;
        p->len--;
    }
    if (p->len > 0 && p->score[p->head] >= score)
        out = 0.0f;
    while (p->len > 0 && p->score[(p->head + p->len - 1) % p->cap] < score)
        p->len--;
    int slot = (p->head + p->len) % p->cap;
    p->at[slot] = p->row;
    p->score[slot] = score;
    p->len++;
    p->row++;
    return out;
}

/* One run: the file's type, the stack, the multivariate monitor and the CLI's rankings. */
struct csv_run {
    struct catalog_type type;  /* the file's columns */
    struct catalog_type mtype; /* plus the rate channels */
    int nd;                    /* rate channels */
    struct detect_machine *m;
    struct detect_pca *pca; /* NULL for one value column or pca=0 */
    struct csv_rarity *rarity;
    struct csv_peak peak;
    double prev[CATALOG_SENSORS_MAX];
    double values[CATALOG_SENSORS_MAX];
    char *copy;
    size_t copy_cap;
};

/* What one row came to. */
struct csv_row_result {
    float score; /* anomaly_score: a new high of the row's rarity, else 0 */
    bool anomaly;
    char top[200]; /* top_sensors: the sensors behind the flag, '|'-separated */
};

static int csv_run_start(struct csv_run *r, const struct detect_csv_options *opt,
                         const struct detect_params *params, long train_rows, char *err,
                         size_t errlen)
{
    r->mtype = r->type;
    r->nd = opt->rate_channels && 2 * r->type.sensor_count <= CATALOG_SENSORS_MAX
                ? r->type.sensor_count
                : 0;
    for (int i = 0; i < r->nd; i++) {
        struct catalog_sensor *rs = &r->mtype.sensors[r->type.sensor_count + i];
        *rs = r->type.sensors[i];
        char base[48]; /* a copy: the source and the target live in one struct */
        snprintf(base, sizeof base, "%.40s", r->type.sensors[i].name);
        snprintf(rs->name, sizeof(rs->name), "d(%s)", base);
    }
    r->mtype.sensor_count = r->type.sensor_count + r->nd;
    for (int i = 0; i < CATALOG_SENSORS_MAX; i++)
        r->prev[i] = NAN;
    struct detect_params sp = *params;
    sp.pca = 0; /* the reader runs the monitor itself, on the raw columns of every row */
    r->m = detect_machine_create(&r->mtype, &sp, opt->seed, err, errlen);
    if (!r->m)
        return -1;
    if (params->pca && r->type.sensor_count >= 2) {
        struct detect_pca_params pp = params->pca_p;
        if (train_rows > 0) {
            /* a known-good reference: fit on its first 60 %, calibrate on the rest */
            pp.train_rows = (int)(train_rows * 6 / 10);
            pp.calib_rows = (int)(train_rows - pp.train_rows - pp.lags);
        }
        r->pca = detect_pca_create(r->type.sensor_count, &pp, err, errlen);
        if (!r->pca)
            return -1;
    }
    return 0;
}

/* The sensors behind a flag, largest contribution first. */
static void csv_top(const struct csv_run *r, bool by_pca, char *buf, size_t len)
{
    buf[0] = '\0';
    if (by_pca) {
        int idx[3];
        float share[3];
        int n = detect_pca_top(r->pca, idx, share, 3);
        size_t at = 0;
        for (int i = 0; i < n && at < len; i++)
            at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "|" : "",
                                   r->type.sensors[idx[i]].name);
        return;
    }
    int top = detect_machine_top_sensor(r->m);
    if (top >= 0 && top < r->mtype.sensor_count)
        snprintf(buf, len, "%s", r->mtype.sensors[top].name);
}

/* Feeds one parsed row through everything; judge false for a reference run's rows. */
static void csv_row(struct csv_run *r, bool judge, struct csv_row_result *res)
{
    const struct catalog_type *t = &r->type;
    for (int i = 0; i < t->sensor_count; i++)
        detect_machine_update(r->m, i, r->values[i], 0, NULL);
    for (int i = 0; i < r->nd; i++) {
        detect_machine_update(r->m, t->sensor_count + i, r->values[i] - r->prev[i], 0, NULL);
        r->prev[i] = r->values[i];
    }
    float pca = r->pca ? detect_pca_update(r->pca, r->values, true) : 0.0f;
    float raw = detect_machine_score(r->m), rare = 0.0f;
    for (int i = 0; i < r->mtype.sensor_count; i++) {
        float sc[CSV_DETECTORS];
        int n = detect_machine_detector_scores(r->m, i, sc, CSV_DETECTORS);
        /* the forest's score (last) is the machine's: count it once */
        for (int k = 0; k < n - (i + 1 < r->mtype.sensor_count); k++) {
            float rr = csv_rarity(&r->rarity[i * CSV_DETECTORS + k], sc[k]);
            rare = rr > rare ? rr : rare;
        }
    }
    if (!judge)
        return;
    /* a vector judged by the monitor is flagged by it alone: the per-sensor stack's own
     * thresholds are not calibrated in the CLI, and would flag ordinary swings */
    bool by_pca = r->pca != NULL;
    res->anomaly = by_pca ? pca >= DETECT_FIRE : raw >= DETECT_FIRE;
    res->score = csv_new_high(&r->peak, rare > pca ? rare : pca);
    if (res->anomaly)
        csv_top(r, by_pca, res->top, sizeof(res->top));
    else
        res->top[0] = '\0';
}

/* Reads one data line into r->values; 0, 1 for an empty line, -1 on bad input. */
static int csv_parse(struct csv_run *r, char *line, ssize_t len,
                     const struct detect_csv_options *opt, const char *name, long lineno, char *err,
                     size_t errlen)
{
    csv_chomp(line, &len);
    if (len == 0)
        return 1;
    if ((size_t)len + 1 > r->copy_cap) {
        char *grown = realloc(r->copy, (size_t)len + 1);
        if (!grown) {
            snprintf(err, errlen, "%s:%ld: out of memory", name, lineno);
            return -1;
        }
        r->copy = grown;
        r->copy_cap = (size_t)len + 1;
    }
    memcpy(r->copy, line, (size_t)len + 1);
    return csv_values(r->copy, opt, name, lineno, &r->type, r->values, err, errlen);
}

/* Reads and checks a header line into r->type (or, for a reference, against it). */
static int csv_read_header(FILE *in, const char *name, const struct detect_csv_options *opt,
                           struct catalog_type *t, char **line, size_t *cap, char *err,
                           size_t errlen)
{
    ssize_t len = getline(line, cap, in);
    if (len < 0) {
        snprintf(err, errlen, "%s:1: bad header: the file is empty", name);
        return -1;
    }
    csv_chomp(*line, &len);
    if (memchr(*line, '\0', (size_t)len)) {
        snprintf(err, errlen, "%s:1: bad header: a NUL byte in the header line", name);
        return -1;
    }
    char *copy = strdup(*line);
    if (!copy) {
        snprintf(err, errlen, "%s:1: out of memory", name);
        return -1;
    }
    int rc = csv_header(copy, opt, name, t, err, errlen);
    free(copy);
    return rc;
}

/* A reference run of normal operation (--train): same columns; every row teaches. */
static int csv_train(struct csv_run *r, const char *path, const struct detect_csv_options *opt,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    static struct catalog_type ref;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 1;
    int rc = csv_read_header(f, path, opt, &ref, &line, &cap, err, errlen);
    if (rc == 0 && ref.sensor_count != r->type.sensor_count) {
        snprintf(err, errlen, "%s:1: %d value columns, the input has %d", path, ref.sensor_count,
                 r->type.sensor_count);
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < ref.sensor_count; i++)
        if (strcmp(ref.sensors[i].name, r->type.sensors[i].name) != 0) {
            snprintf(err, errlen, "%s:1: column %d is \"%s\", the input's is \"%s\"", path, i + 2,
                     ref.sensors[i].name, r->type.sensors[i].name);
            rc = -1;
        }
    ssize_t len;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        int p = csv_parse(r, line, len, opt, path, lineno, err, errlen);
        if (p < 0)
            rc = -1;
        else if (p == 0)
            csv_row(r, false, NULL);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s:%ld: read error: %s", path, lineno + 1, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && r->pca && !detect_pca_ready(r->pca)) {
        snprintf(err, errlen, "%s: %ld rows of normal operation; --train needs at least 60", path,
                 lineno - 1);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Data rows of a reference file (non-empty lines after the header). */
static long csv_count_rows(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long rows = -1;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        csv_chomp(line, &len);
        rows += len > 0;
    }
    free(line);
    fclose(f);
    return rows < 0 ? 0 : rows;
}

static int csv_stream(FILE *in, const char *name, FILE *out, const struct detect_csv_options *opt,
                      char *err, size_t errlen)
{
    static struct csv_run run; /* one CLI run at a time; too big for the stack */
    struct csv_run *r = &run;
    memset(r, 0, sizeof(*r));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = -1;
    struct detect_params defaults;
    detect_params_csv(&defaults);
    const struct detect_params *params = opt->params ? opt->params : &defaults;
    r->peak.cap = params->hold > 0 ? params->hold : 1;
    r->rarity = calloc(CSV_DETECTORS * CATALOG_SENSORS_MAX, sizeof(*r->rarity));
    r->peak.at = calloc((size_t)r->peak.cap, sizeof(long));
    r->peak.score = calloc((size_t)r->peak.cap, sizeof(float));
    if (!r->peak.at || !r->peak.score || !r->rarity) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto done;
    }
    if (csv_read_header(in, name, opt, &r->type, &line, &cap, err, errlen) < 0)
        goto done;
    lineno = 1;
    long train_rows = opt->train_rows;
    if (opt->train_path && (train_rows = csv_count_rows(opt->train_path, err, errlen)) < 0)
        goto done;
    if (train_rows > 0 && train_rows < 60) {
        snprintf(err, errlen, "%s: %ld rows of normal operation; training needs at least 60",
                 opt->train_path ? opt->train_path : name, train_rows);
        goto done;
    }
    if (csv_run_start(r, opt, params, train_rows, err, errlen) < 0)
        goto done;
    if (opt->train_path && csv_train(r, opt->train_path, opt, err, errlen) < 0)
        goto done;
    fprintf(out, "%s%canomaly_score%cis_anomaly%ctop_sensors\n", line, opt->sep, opt->sep,
            opt->sep);
    ssize_t len;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        int p = csv_parse(r, line, len, opt, name, lineno, err, errlen);
        if (p < 0)
            goto done;
        if (p > 0)
            continue;
        struct csv_row_result res;
        csv_row(r, true, &res);
        fprintf(out, "%s%c%.7f%c%d%c%s\n", line, opt->sep, res.score, opt->sep, res.anomaly,
                opt->sep, res.top);
    }
    if (ferror(in)) {
        snprintf(err, errlen, "%s:%ld: read error: %s", name, lineno + 1, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(r->peak.at);
    free(r->peak.score);
    free(r->rarity);
    detect_machine_free(r->m);
    detect_pca_free(r->pca);
    free(r->copy);
    free(line);
    return rc;
}

int detect_csv_run(const char *name, FILE *out, const struct detect_csv_options *opt, char *err,
                   size_t errlen)
{
    FILE *in = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
    if (!in) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return -1;
    }
    int rc = csv_stream(in, name, out, opt, err, errlen);
    if (in != stdin)
        fclose(in);
    return rc;
}
