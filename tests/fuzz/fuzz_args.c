// SPDX-License-Identifier: MIT
/* Fuzzes command-line parsing: input is split at NUL bytes into argv[1..]. --config is left out
 * (fuzz_config covers the file; a path like /dev/zero would only hang the run). */
#include "fuzz.h"

#include "config.h"

#define FUZZ_ARGS_MAX 64

static struct config fuzz_defaults, fuzz_cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        config_defaults(&fuzz_defaults, "twintop");
        if (!freopen("/dev/null", "w", stdout)) /* --help and --version print */
            abort();
        ready = 1;
    }
    if (size > 16 * 1024)
        return 0;
    char *text = fuzz_strdup(data, size);
    char *argv[FUZZ_ARGS_MAX + 2] = {(char *)"twintop"};
    int argc = 1 + fuzz_split(text, size, argv + 1, FUZZ_ARGS_MAX);
    for (int i = 1; i < argc; i++)
        if (strstr(argv[i], "--config")) {
            free(text);
            return 0;
        }
    argv[argc] = NULL;
    fuzz_cfg = fuzz_defaults;
    char err[512];
    config_parse_args(&fuzz_cfg, argc, argv, 1, err, sizeof err);
    free(text);
    return 0;
}
