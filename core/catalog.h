// SPDX-License-Identifier: MIT
#ifndef TWINTOP_CATALOG_H
#define TWINTOP_CATALOG_H
/*
 * The plant catalog: machine types (sensors, limits, tile, operating pattern, fault modes)
 * and the machines, loaded from data/machines.json (cJSON).
 *
 * Ownership and threads: the catalog is loaded once on the main thread before any other thread
 * starts. Afterwards it is append-only: machines learned from an MQTT feed are appended with
 * catalog_add_machine and sensors learned from payloads with catalog_add_sensor (any thread;
 * an internal mutex serialises writers). Entries never move and never change once their count
 * has been published, so readers on any thread may read every entry below
 * catalog_machine_count() / catalog_sensor_count() without a lock.
 */
#include <stdbool.h>
#include <stddef.h>

#define CATALOG_NAME_MAX 48
#define CATALOG_UNIT_MAX 16
#define CATALOG_SENSORS_MAX 64
#define CATALOG_TILE_MAX 4
#define CATALOG_FAULTS_MAX 8
#define CATALOG_TYPES_MAX 64
/* Hard limits on machines: in the catalog file, and in all (file + learned); --max-machines
 * accepts at most CONFIG_MAX_MACHINES_LIMIT learned ones (config.h). */
#define CATALOG_FILE_MACHINES_MAX 100000
#define CATALOG_MACHINES_LIMIT 262144

struct catalog_sensor {
    char name[CATALOG_NAME_MAX]; /* "flow_m3h", "spindle.rpm" (dotted for nested) */
    char unit[CATALOG_UNIT_MAX]; /* "m3/h", "°C" */
    bool is_text;                /* text channel (status.mode): no limits, no detection */
    double nominal;              /* typical value in normal operation */
    double display_min, display_max;
    double normal_lo, normal_hi; /* the band a healthy machine stays in */
    /* Limits; NAN where the sensor has none on that side. */
    double warn_lo, warn_hi;
    double alarm_lo, alarm_hi;
    double deadband;   /* hysteresis in sensor units: a limit clears only past limit -/+ deadband */
    double on_delay_s; /* the condition must hold this long (simulated/wire time) to be entered */
    int z_window;      /* rolling z-score window (samples); 0: detector default */
    double z_threshold;
    bool safety_critical; /* its alarm limit is a safety matter: the alarm is critical */
};

#define CATALOG_SIGNATURE_MAX 4

/* A fault mode and the maintenance that answers it (core/maint.h builds the plan from these). */
struct catalog_fault {
    char name[CATALOG_NAME_MAX]; /* "bearing_wear" */
    char description[160];
    char component[CATALOG_NAME_MAX]; /* the part it wears: "bearings", "strainer"; "" if none */
    char action[16];                  /* what fixes it: "inspect", "replace", "clean", "adjust" */
    double lead_time_h;               /* hours that action needs before it can be done (parts,
                                         people, a stop); 0 when the catalog gives none */
    /* The sensors the fault moves and the way it moves them (+1 up, -1 down; 0 "steady": one it
     * leaves alone, which tells it from a look-alike), the first the clearest; how a machine's
     * drift is matched to its fault mode. */
    int signature_count;
    int signature[CATALOG_SIGNATURE_MAX];
    int signature_dir[CATALOG_SIGNATURE_MAX];
    /* A sensor whose own drift is taken off the signature sensors' (same unit: the cooling
     * tower's approach is water out minus wet bulb); -1 when none. */
    int compensate;
};

struct catalog_type {
    char name[CATALOG_NAME_MAX];    /* "centrifugal-pump" */
    char label[CATALOG_NAME_MAX];   /* "Centrifugal pump" */
    char pattern[CATALOG_NAME_MAX]; /* operating pattern: "continuous", "load-unload", "cyclic", ...
                                     */
    double sample_period_s;         /* simulated seconds between samples (1, CNC 0.1) */
    int sensor_count;               /* read with catalog_sensor_count() for learned types */
    struct catalog_sensor sensors[CATALOG_SENSORS_MAX];
    int tile_count;
    int tile[CATALOG_TILE_MAX]; /* sensor indices shown on the overview tile */
    int fault_count;
    struct catalog_fault faults[CATALOG_FAULTS_MAX];
    bool learned; /* created from the wire, not from the catalog file */
    bool shared;  /* learned: every learned machine naming this type uses it */
};

struct catalog_machine {
    char id[CATALOG_NAME_MAX]; /* "PUMP_001" */
    /* Where it stands, both optional ("" when not given): the catalog's "area" and "line", or a
     * Sparkplug feed's group and edge node. The fleet list groups and filters by them. */
    char area[CATALOG_NAME_MAX]; /* "Utilities" */
    char line[CATALOG_NAME_MAX]; /* "Compressed air" */
    struct catalog_type *type; /* learned machines own a private type */
    bool simulated;            /* false: learned from a feed */
};

struct catalog;

/* Loads FILE. On error returns NULL and writes "FILE: machine X sensor Y: what is wrong"
 * (or "FILE:LINE: ..." for JSON syntax) into err. */
struct catalog *catalog_load(const char *path, char *err, size_t errlen);
/* Same, from a string; name is used in messages in place of the file name. */
struct catalog *catalog_parse(const char *json, const char *name, char *err, size_t errlen);
void catalog_free(struct catalog *c);

int catalog_type_count(const struct catalog *c);
struct catalog_type *catalog_type_at(const struct catalog *c, int i);
struct catalog_type *catalog_type_find(const struct catalog *c, const char *name);

int catalog_machine_count(const struct catalog *c);
struct catalog_machine *catalog_machine_at(const struct catalog *c, int i);
/* Index of the machine with this id, or -1. */
int catalog_machine_find(const struct catalog *c, const char *id);
/* Index of a sensor of a type by name, or -1. */
int catalog_sensor_find(const struct catalog_type *t, const char *name);
int catalog_sensor_count(const struct catalog_type *t);

/* Cap on machines (catalog + learned; at most CATALOG_MACHINES_LIMIT); learned machines past it
 * are refused. Memory follows the machines that exist, not the cap. */
void catalog_set_max_machines(struct catalog *c, int max);
int catalog_max_machines(const struct catalog *c);
/* Appends a learned machine (type_name may be NULL: "unknown"). Returns its index, the existing
 * index when id is known, or -1 when the cap is reached (or out of memory). Learned machines that
 * name the same type share one learned type (a copy of the catalog's when it has that type):
 * sensors learned for one are the type's. One without a type name gets a private one. */
int catalog_add_machine(struct catalog *c, const char *id, const char *type_name);
/* Same, with where a new machine stands (area and line may be NULL or "": none; over-long ones
 * are cut). A known machine keeps its own. */
int catalog_add_machine_at(struct catalog *c, const char *id, const char *type_name,
                           const char *area, const char *line);
/* Appends a learned sensor to a learned machine's type. Returns its index (existing when known),
 * or -1 when the type is full or the machine is not a learned one. */
int catalog_add_sensor(struct catalog *c, int machine, const char *name, bool is_text);

#endif
