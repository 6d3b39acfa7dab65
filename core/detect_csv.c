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

static int csv_stream(FILE *in, const char *name, FILE *out, const struct detect_csv_options *opt,
                      char *err, size_t errlen)
{
    static struct catalog_type type; /* one CLI run at a time; too big for the stack */
    char *line = NULL, *copy = NULL;
    size_t cap = 0, copy_cap = 0;
    long lineno = 0;
    int rc = -1;
    struct detect_machine *m = NULL;
    struct detect_params defaults;
    detect_params_csv(&defaults);
    const struct detect_params *params = opt->params ? opt->params : &defaults;
    struct csv_peak peak = {.cap = params->hold > 0 ? params->hold : 1};
    struct csv_rarity *rarity = calloc(CSV_DETECTORS * CATALOG_SENSORS_MAX, sizeof(*rarity));
    peak.at = calloc((size_t)peak.cap, sizeof(long));
    peak.score = calloc((size_t)peak.cap, sizeof(float));
    if (!peak.at || !peak.score || !rarity) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto done;
    }
    ssize_t len = getline(&line, &cap, in);
    if (len < 0) {
        snprintf(err, errlen, "%s:1: bad header: the file is empty", name);
        goto done;
    }
    lineno = 1;
    csv_chomp(line, &len);
    copy = strdup(line);
    if (!copy) {
        snprintf(err, errlen, "%s:1: out of memory", name);
        goto done;
    }
    copy_cap = (size_t)len + 1;
    if (csv_header(copy, opt, name, &type, err, errlen) < 0)
        goto done;
    fprintf(out, "%s%canomaly_score%cis_anomaly\n", line, opt->sep, opt->sep);
    /* Rate channels: each column's first difference runs through the stack as a sensor of its
     * own, so a change of pace is judged like a change of level. */
    static struct catalog_type mtype;
    mtype = type;
    int nd =
        opt->rate_channels && 2 * type.sensor_count <= CATALOG_SENSORS_MAX ? type.sensor_count : 0;
    for (int i = 0; i < nd; i++) {
        struct catalog_sensor *rs = &mtype.sensors[type.sensor_count + i];
        *rs = type.sensors[i];
        snprintf(rs->name, sizeof(rs->name), "d(%.40s)", type.sensors[i].name);
    }
    mtype.sensor_count = type.sensor_count + nd;
    double prev[CATALOG_SENSORS_MAX];
    for (int i = 0; i < CATALOG_SENSORS_MAX; i++)
        prev[i] = NAN;
    m = detect_machine_create(&mtype, params, opt->seed, err, errlen);
    if (!m)
        goto done;
    double values[CATALOG_SENSORS_MAX];
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        csv_chomp(line, &len);
        if (len == 0)
            continue;
        if ((size_t)len + 1 > copy_cap) {
            char *grown = realloc(copy, (size_t)len + 1);
            if (!grown) {
                snprintf(err, errlen, "%s:%ld: out of memory", name, lineno);
                goto done;
            }
            copy = grown;
            copy_cap = (size_t)len + 1;
        }
        memcpy(copy, line, (size_t)len + 1);
        if (csv_values(copy, opt, name, lineno, &type, values, err, errlen) < 0)
            goto done;
        for (int i = 0; i < type.sensor_count; i++)
            detect_machine_update(m, i, values[i], lineno, NULL);
        for (int i = 0; i < nd; i++) {
            detect_machine_update(m, type.sensor_count + i, values[i] - prev[i], lineno, NULL);
            prev[i] = values[i];
        }
        float raw = detect_machine_score(m), rare = 0.0f;
        for (int i = 0; i < mtype.sensor_count; i++) {
            float sc[CSV_DETECTORS];
            int n = detect_machine_detector_scores(m, i, sc, CSV_DETECTORS);
            /* the forest's score (last) is the machine's: count it once */
            for (int k = 0; k < n - (i + 1 < mtype.sensor_count); k++) {
                int c = i * CSV_DETECTORS + k;
                float r = csv_rarity(&rarity[c], sc[k]);
                rare = r > rare ? r : rare;
            }
        }
        float score = csv_new_high(&peak, rare);
        fprintf(out, "%s%c%.7f%c%d\n", line, opt->sep, score, opt->sep, raw >= DETECT_FIRE);
    }
    if (ferror(in)) {
        snprintf(err, errlen, "%s:%ld: read error: %s", name, lineno + 1, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(peak.at);
    free(peak.score);
    free(rarity);
    detect_machine_free(m);
    free(line);
    free(copy);
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
