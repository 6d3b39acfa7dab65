// SPDX-License-Identifier: MIT
/* Fuzzes the time and duration formats (ISO 8601 in payloads and on the command line, "15m"):
 * a time that parses must print and parse back to the same millisecond. */
#include "fuzz.h"

#include "clock.h"

/* Years 0000-9999: what the four-digit format can print (a zone offset may carry a parsed time
 * just past them). */
#define FUZZ_CLOCK_MIN_MS (-62167219200000LL)
#define FUZZ_CLOCK_MAX_MS (253402300800000LL)

static void fuzz_round_trip(int64_t ms)
{
    if (ms < FUZZ_CLOCK_MIN_MS || ms >= FUZZ_CLOCK_MAX_MS)
        return;
    char text[64];
    int64_t again = 0;
    clock_format_iso8601(ms, text, sizeof text);
    if (clock_parse_iso8601(text, &again) != 0 || again != ms) {
        fprintf(stderr, "round trip: %lld -> %s -> %lld\n", (long long)ms, text, (long long)again);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = fuzz_strdup(data, size);
    int64_t ms;
    double seconds;
    if (clock_parse_iso8601(text, &ms) == 0)
        fuzz_round_trip(ms);
    if (clock_parse_iso8601_partial(text, &ms) == 0)
        fuzz_round_trip(ms);
    clock_parse_duration(text, &seconds);
    free(text);
    return 0;
}
