// SPDX-License-Identifier: MIT
/* Fuzzes the theme parser (themes/NAME.theme): input is the whole file, parsed over the
 * built-in defaults; no terminal is involved. */
#include "fuzz.h"

#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = fuzz_strdup(data, size);
    struct theme t;
    char err[512];
    theme_defaults(&t);
    theme_parse(&t, text, "fuzz.theme", err, sizeof err);
    for (int i = 0; i < THEME_COUNT; i++)
        theme_element_find(theme_element_name(i));
    free(text);
    return 0;
}
