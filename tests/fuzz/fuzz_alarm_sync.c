// SPDX-License-Identifier: MIT
/* Fuzzes remote alarm actions (retained P/alarms/... messages from other consoles): input is up
 * to eight payloads separated by NUL bytes, applied in turn to a fresh manager with two alarms
 * raised, with a shared key for odd-sized inputs. alarm_sync.c is included to reach its message
 * handler; nothing is connected. */
#include "fuzz.h"

#include "alarm_sync.c"

#define FUZZ_MESSAGES_MAX 8

static struct alarm_manager *fuzz_manager(void)
{
    char err[256];
    struct alarm_manager *am = alarm_manager_create(NULL, 16, err, sizeof err);
    if (!am)
        abort();
    const char *conditions[] = {"temp_c:hi", "flow_m3h:lo"};
    for (int i = 0; i < 2; i++) {
        struct alarm_input in = {.ts_ms = 1000,
                                 .machine_id = "P1",
                                 .condition = conditions[i],
                                 .priority = 2,
                                 .active = true,
                                 .value = 99};
        if (alarm_update(am, &in) <= 0)
            abort();
    }
    return am;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = fuzz_strdup(data, size);
    char *msg[FUZZ_MESSAGES_MAX];
    int n = fuzz_split(text, size, msg, FUZZ_MESSAGES_MAX);

    char err[256];
    struct alarm_manager *am = fuzz_manager();
    struct alarm_sync_options opt = {.conn = {.client_id = "fuzz-console"},
                                     .url = "mqtt://127.0.0.1:1"};
    struct alarm_sync *s = alarm_sync_create(&opt, am, err, sizeof err);
    if (!s)
        abort();
    if (size % 2) { /* half the inputs with a shared key: signatures checked (--alarm-key) */
        memcpy(s->key, "fuzz-shared-key-0123456789", 26);
        s->key_len = 26;
    }
    for (int i = 0; i < n; i++)
        sync_on_message(s, "dt/alarms/P1/temp_c:hi", msg[i], strlen(msg[i]));
    sync_retry_pending(s, clock_wall_ms() + SYNC_PENDING_MS + 1);
    alarm_sync_destroy(s);
    alarm_manager_destroy(am);
    free(text);
    return 0;
}
