#include <stdio.h>
#include "tui.h"

/* Stands in until the console lands (tui/screen.c); it is deleted then. */
int tui_run(struct tui_context *ctx)
{
    (void)ctx;
    fprintf(stderr, "twintop: the console is not built yet; use --headless\n");
    return -1;
}
