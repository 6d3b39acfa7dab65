// SPDX-License-Identifier: MIT
/* A real mosquitto for tests: own config in a mktemp folder, a free loopback port, started and
 * stopped by the test. Header-only so each test binary carries its own copy. */
#ifndef TEST_MQTT_BROKER_H
#define TEST_MQTT_BROKER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mqtt.h"

struct test_broker {
    char dir[256];
    char conf[300];
    int port;
    pid_t pid;
};

static inline int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static inline int test_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static inline void test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes the config (listener line added here) and starts the broker; 0 when it listens. */
static inline int test_broker_start(struct test_broker *b, const char *extra_conf)
{
    if (!b->dir[0]) {
        snprintf(b->dir, sizeof b->dir, "/tmp/twintop-mqtt-XXXXXX");
        if (!mkdtemp(b->dir))
            return -1;
        chmod(b->dir, 0755);
    }
    if (!b->port)
        b->port = test_free_port();
    snprintf(b->conf, sizeof b->conf, "%s/mosquitto.conf", b->dir);
    FILE *f = fopen(b->conf, "w");
    if (!f)
        return -1;
    /* As root, mosquitto would switch to its own user and lose access to this folder. */
    if (geteuid() == 0)
        fprintf(f, "user root\n");
    fprintf(f, "listener %d 127.0.0.1\npersistence true\npersistence_location %s/\n"
               "log_dest file %s/broker.log\nmax_queued_messages 0\n%s\n",
            b->port, b->dir, b->dir, extra_conf ? extra_conf : "allow_anonymous true");
    fclose(f);
    b->pid = fork();
    if (b->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("mosquitto", "mosquitto", "-c", b->conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s on a loaded machine */
        if (test_port_open(b->port))
            return 0;
        int status;
        if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
            b->pid = 0;
            return -1;
        }
        test_sleep_ms(50);
    }
    return -1;
}

/* SIGTERM: mosquitto saves its persistence file on the way out. */
static inline void test_broker_stop(struct test_broker *b)
{
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        waitpid(b->pid, NULL, 0);
        b->pid = 0;
    }
}

static inline void test_broker_cleanup(struct test_broker *b)
{
    test_broker_stop(b);
    if (b->dir[0] && !getenv("TWINTOP_KEEP_TMP")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", b->dir);
    }
}

/* The connection options a --client-id / TLS / credentials config gives (as tui/main.c fills
 * them); o is filled and returned, its strings point into cfg. */
static inline const struct mqtt_options *test_conn_options(const struct config *cfg,
                                                           struct mqtt_options *o)
{
    *o = (struct mqtt_options){.client_id = cfg->client_id,
                               .version = cfg->mqtt_version,
                               .cafile = cfg->cafile,
                               .capath = cfg->capath,
                               .certfile = cfg->certfile,
                               .keyfile = cfg->keyfile,
                               .insecure = cfg->insecure,
                               .user = cfg->user,
                               .password_file = cfg->password_file};
    return o;
}

static inline const struct mqtt_feed_options *test_feed_options(const struct config *cfg,
                                                                struct mqtt_feed_options *o)
{
    *o = (struct mqtt_feed_options){.url = cfg->mqtt_url,
                                    .topic_count = cfg->topic_count,
                                    .qos = cfg->qos,
                                    .share_group = cfg->share_group,
                                    .topic_prefix = cfg->topic_prefix};
    test_conn_options(cfg, &o->conn);
    for (int i = 0; i < cfg->topic_count; i++)
        o->topics[i] = cfg->topics[i];
    return o;
}

#endif
