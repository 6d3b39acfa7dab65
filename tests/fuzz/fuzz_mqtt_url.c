// SPDX-License-Identifier: MIT
/* Fuzzes the broker URL parser and topic matching: input is "url\0pattern\0topic". */
#include "fuzz.h"

#include "mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = fuzz_strdup(data, size);
    static char empty[1];
    char *part[3] = {empty, empty, empty};
    fuzz_split(text, size, part, 3);
    char host[256], err[256];
    int port;
    bool tls;
    mqtt_url_parse(part[0], host, sizeof host, &port, &tls, err, sizeof err);
    mqtt_topic_matches(part[1], part[2]);
    free(text);
    return 0;
}
