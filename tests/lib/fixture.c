// SPDX-License-Identifier: MIT
/* Shared unit-test fixtures: temporary folders and catalog loading (tests/lib/fixture.h). */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int fixture_tmpdir(const char *name, char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if ((size_t)snprintf(dir, len, "%s/twintop-%s-XXXXXX", base, name) >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(dir) ? 0 : -1;
}

static int fixture_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

int fixture_rmtree(const char *dir)
{
    return nftw(dir, fixture_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct catalog *fixture_catalog(const char *path)
{
    char err[512] = "";
    struct catalog *c = catalog_load(path, err, sizeof err);
    if (!c)
        fail_msg("%s: %s", path, err);
    return c;
}
