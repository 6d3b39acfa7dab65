// SPDX-License-Identifier: MIT
/* Fuzzes the scenario parser (data/scenarios/NAME.json): input is the whole file, checked against
 * a small fixed catalog that is parsed once and only read. */
#include "fuzz.h"

#include "catalog.h"
#include "scenario.h"

static struct scenario fuzz_scn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct catalog *cat;
    char err[512];
    if (!cat && !(cat = catalog_parse(FUZZ_CATALOG_JSON, "fuzz", err, sizeof err)))
        abort();
    if (size > 256 * 1024)
        return 0;
    char *json = fuzz_strdup(data, size);
    scenario_parse(json, "fuzz.json", cat, &fuzz_scn, err, sizeof err);
    free(json);
    return 0;
}
