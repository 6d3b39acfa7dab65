// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_ALARMS_H
#define TWINTOP_VIEW_ALARMS_H
/*
 * The alarm list view (view_alarms_entry in view.h, F3 or 3) and the alarm banner shown on every
 * view.
 *
 * List: current alarms (or, with S, the shelved / suppressed / out-of-service ones) sorted by
 * priority then time, unacknowledged ones in the THEME_UNACK style; columns time, machine,
 * condition, priority, state, value, count, acknowledged by, flags. Keys in this view:
 * Up/Down/PgUp/PgDn/Home/End select, a acknowledge, A acknowledge all visible (asks y/n),
 * s shelve (asks duration and reason), u unshelve, n note, o out of service on/off, / filter,
 * S shelved list on/off. Refusals appear in the status line.
 *
 * The key functions have the key table's signature (int fn(struct screen *, int arg)), so
 * the key table's rows point at them.
 * Operator actions go through the alarm manager in s->ctx->alarms with the operator from
 * --operator or the login name (and the SSH client address).
 *
 * Threads: main thread only; reads the manager through its copy-out functions.
 */
#include <stdbool.h>

struct screen;

int view_alarms_move(struct screen *s, int delta); /* delta rows; +-10000: end/home */
/* Enter: the detail view of the selected alarm's machine, on the alarmed sensor. */
int view_alarms_open(struct screen *s, int arg);
int view_alarms_ack(struct screen *s, int arg);
int view_alarms_ack_all(struct screen *s, int arg);
int view_alarms_shelve(struct screen *s, int arg);
int view_alarms_unshelve(struct screen *s, int arg);
int view_alarms_note(struct screen *s, int arg);
int view_alarms_out_of_service(struct screen *s, int arg);
int view_alarms_filter(struct screen *s, int arg);
int view_alarms_toggle_hidden(struct screen *s, int arg);

/* The alarm banner: unacknowledged counts by priority, shelved count, flood state. Draws into
 * columns [x, x + width) of row y and rings the bell on a new high/critical alarm (unless
 * --no-bell). Returns false when there is no alarm manager. */
bool view_alarms_banner(struct screen *s, int y, int x, int width);

#endif
