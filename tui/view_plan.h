// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_PLAN_H
#define TWINTOP_VIEW_PLAN_H
/*
 * The maintenance plan view (view_plan_entry in view.h, 4): every planned action sorted by due
 * time (unknown due last), its title counting the actions overdue and due within this shift
 * (8 h); columns due, urgency, machine, component, action, evidence, first recommended. Keys in
 * this view: Up/Down/PgUp/PgDn/Home/End select, Enter the machine's detail on the evidence
 * sensor, d marks the selected action done (asks for a note; recorded with the operator and
 * the SSH client address; on a simulated machine it repairs the fault).
 *
 * Threads: main thread only; reads the plan through maint_plan (s->ctx->maint).
 */
struct screen;

int view_plan_move(struct screen *s, int delta); /* delta rows; +-10000: end/home */
int view_plan_open(struct screen *s, int arg);
int view_plan_done(struct screen *s, int arg);

#endif
