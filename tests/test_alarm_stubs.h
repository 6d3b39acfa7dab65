#ifndef TEST_ALARM_STUBS_H
#define TEST_ALARM_STUBS_H
/* Weak stand-ins for the catalog functions the alarm manager calls when it has a catalog.
 * The tests run without one; the real definitions win whenever core/catalog.o is linked. */
#include "catalog.h"

__attribute__((weak)) int catalog_machine_find(const struct catalog *c, const char *id)
{
    (void)c, (void)id;
    return -1;
}
__attribute__((weak)) struct catalog_machine *catalog_machine_at(const struct catalog *c, int i)
{
    (void)c, (void)i;
    return 0;
}
__attribute__((weak)) int catalog_sensor_find(const struct catalog_type *t, const char *name)
{
    (void)t, (void)name;
    return -1;
}
__attribute__((weak)) int catalog_machine_count(const struct catalog *c)
{
    (void)c;
    return 0;
}
__attribute__((weak)) int catalog_sensor_count(const struct catalog_type *t)
{
    (void)t;
    return 0;
}
#endif
