// SPDX-License-Identifier: MIT
/* Fuzzes the catalog parser (data/machines.json): input is the whole file; a catalog that loads
 * is then looked up and grown the way the MQTT feed grows it. */
#include "fuzz.h"

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    char *json = fuzz_strdup(data, size);
    char err[512];
    struct catalog *cat = catalog_parse(json, "fuzz.json", err, sizeof err);
    if (cat) {
        for (int i = 0; i < catalog_machine_count(cat); i++) {
            struct catalog_machine *m = catalog_machine_at(cat, i);
            catalog_machine_find(cat, m->id);
            catalog_sensor_find(m->type, "temp_c");
        }
        for (int i = 0; i < catalog_type_count(cat); i++)
            catalog_type_find(cat, catalog_type_at(cat, i)->name);
        int m = catalog_add_machine(cat, "LEARNED_1", "learned-type");
        if (m >= 0)
            catalog_add_sensor(cat, m, "spindle.rpm", false);
        catalog_free(cat);
    }
    free(json);
    return 0;
}
