// SPDX-License-Identifier: MIT
#ifndef TWINTOP_TEST_FIXTURE_H
#define TWINTOP_TEST_FIXTURE_H
/*
 * Fixtures every unit test shares: a fresh temporary folder and its removal, and the catalog
 * loaded with the loader's message on failure. Linked into every tests/test_*.c binary.
 */
#include <stddef.h>
#include "catalog.h"

/* Makes a fresh folder $TMPDIR/twintop-NAME-XXXXXX (/tmp without TMPDIR) into dir.
 * 0, or -1 with errno set. */
int fixture_tmpdir(const char *name, char *dir, size_t len);

/* Removes dir and everything under it, without a shell. 0, or -1 when something stayed. */
int fixture_rmtree(const char *dir);

/* Loads a catalog (a path from the repository root: "data/machines.json",
 * "tests/data/mini.json"); on failure fails the running test with the loader's message. */
struct catalog *fixture_catalog(const char *path);

#endif
