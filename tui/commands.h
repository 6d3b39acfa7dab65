// SPDX-License-Identifier: MIT
#ifndef TWINTOP_COMMANDS_H
#define TWINTOP_COMMANDS_H
/* Sub-commands of the twintop binary: `twintop NAME args…`. argv[0] is the command name. */
int cmd_export(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_report(int argc, char **argv);
#endif
