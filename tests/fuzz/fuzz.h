// SPDX-License-Identifier: MIT
#ifndef TWINTOP_FUZZ_H
#define TWINTOP_FUZZ_H
/*
 * What every fuzz target shares: libFuzzer's entry point, a NUL-terminated copy of the input,
 * a NUL-separated split, a scratch file for parsers that read a path, and a small catalog.
 * Each target is linked either with libFuzzer (make fuzz, clang) or with tests/fuzz/replay.c
 * (make test, any compiler), which feeds it every file of its corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy of data with a NUL after it (the input may hold NULs of its own). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits text (size bytes, NUL-terminated copy) at NUL bytes into at most max parts. */
static inline int fuzz_split(char *text, size_t size, char **part, int max)
{
    int n = 0;
    for (size_t i = 0; n < max;) {
        part[n++] = text + i;
        i += strlen(text + i) + 1;
        if (i > size)
            break;
    }
    return n;
}

static char fuzz_file_path[64];

static inline void fuzz_file_remove(void)
{
    unlink(fuzz_file_path);
}

/* Writes the input to this process's scratch file (removed at exit) and returns its path. */
static inline const char *fuzz_write_file(const uint8_t *data, size_t size)
{
    if (!fuzz_file_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(fuzz_file_path, sizeof fuzz_file_path, "%.30s/twintop-fuzz-%d",
                 dir && *dir ? dir : "/tmp", (int)getpid());
        atexit(fuzz_file_remove);
    }
    FILE *f = fopen(fuzz_file_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    return fuzz_file_path;
}

/* Two machine types, three machines, a fault each: enough for the codec, scenarios and alarms. */
#define FUZZ_CATALOG_JSON                                                                          \
    "{\"version\":1,\"types\":["                                                                   \
    "{\"name\":\"pump\",\"label\":\"Pump\",\"pattern\":\"continuous\",\"sample_period_s\":1,"      \
    "\"tile\":[\"temp_c\",\"spindle.rpm\"],\"sensors\":["                                          \
    "{\"name\":\"temp_c\",\"unit\":\"C\",\"nominal\":50,\"display\":[0,150],\"normal\":[40,60],"   \
    "\"warn\":[null,80],\"alarm\":[null,100],\"deadband\":2,\"on_delay_s\":5},"                    \
    "{\"name\":\"spindle.rpm\",\"unit\":\"rpm\",\"display\":[0,9000],\"normal\":[10,8000]},"       \
    "{\"name\":\"status.mode\",\"unit\":\"\",\"text\":true}],"                                     \
    "\"faults\":[{\"name\":\"overheat\",\"description\":\"temperature climbs\"}]},"                \
    "{\"name\":\"fan\",\"label\":\"Fan\",\"pattern\":\"cyclic\",\"sample_period_s\":0.1,"          \
    "\"tile\":[\"vibration_mm_s\",\"speed_rpm\"],\"sensors\":["                                    \
    "{\"name\":\"vibration_mm_s\",\"unit\":\"mm/s\",\"display\":[0,12],\"normal\":[0.5,3]},"       \
    "{\"name\":\"speed_rpm\",\"unit\":\"rpm\",\"display\":[0,1800],\"normal\":[900,1500]}],"       \
    "\"faults\":[{\"name\":\"imbalance\",\"description\":\"vibration grows\"}]}],"                 \
    "\"machines\":[{\"id\":\"P1\",\"type\":\"pump\"},{\"id\":\"P2\",\"type\":\"pump\"},"           \
    "{\"id\":\"FAN_1\",\"type\":\"fan\"}]}"

#endif
