#include <stdio.h>
#include "commands.h"

/* Placeholder until the export sub-command lands; owned by its issue. */
int cmd_export(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "twintop %s: not built yet\n", argv[0]);
    return 2;
}
