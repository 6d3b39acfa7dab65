// SPDX-License-Identifier: MIT
/* Fuzzes the --config file reader: input is the file ("option = value" lines), loaded over the
 * defaults, which are computed once and copied for every run. */
#include "fuzz.h"

#include "config.h"

static struct config fuzz_defaults, fuzz_cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        config_defaults(&fuzz_defaults, "twintop");
        ready = 1;
    }
    if (size > 64 * 1024)
        return 0;
    fuzz_cfg = fuzz_defaults;
    char err[512];
    config_load_file(&fuzz_cfg, fuzz_write_file(data, size), err, sizeof err);
    return 0;
}
