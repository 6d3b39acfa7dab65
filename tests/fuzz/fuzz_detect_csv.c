// SPDX-License-Identifier: MIT
/* Fuzzes `twintop detect`'s CSV reader: input is the file, run through the whole detector stack
 * with the CLI's defaults; the output goes to /dev/null. */
#include "fuzz.h"

#include "detect_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    if (size > 16 * 1024)
        return 0;
    struct detect_csv_options opt = {.sep = ',', .seed = 1, .rate_channels = 1};
    char err[512];
    detect_csv_run(fuzz_write_file(data, size), devnull, &opt, err, sizeof err);
    return 0;
}
