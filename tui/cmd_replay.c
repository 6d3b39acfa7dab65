#include <stdio.h>
#include "commands.h"

/* Placeholder until the replay sub-command lands; owned by its issue. */
int cmd_replay(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "twintop %s: not built yet\n", argv[0]);
    return 2;
}
