// SPDX-License-Identifier: MIT
/* The notify hook: runs --notify-cmd with the alarm as JSON on its standard input. */
#include "alarm_notify.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define NOTIFY_ENV_EXTRA 6

struct notify_item {
    struct alarm_info alarm;
    enum alarm_change change;
};

struct notify {
    char command[1024];
    int timeout_ms, max_per_minute;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    struct alarm_manager *manager;
    pthread_t thread;
    bool started, stopping, busy;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    struct notify_item *queue;
    int capacity, head, len;
    double tokens; /* rate limit bucket */
    int64_t tokens_at_ms;
    struct notify_stats stats;
};

/* Counts nothing; records the line as last_error and hands it to the log sink. */
__attribute__((format(printf, 2, 3))) static void notify_log(struct notify *n, const char *fmt, ...)
{
    char line[sizeof n->stats.last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&n->lock);
    memcpy(n->stats.last_error, line, sizeof line);
    pthread_mutex_unlock(&n->lock);
    if (n->log)
        n->log(n->log_ctx, line);
}

struct notify *notify_create(const struct notify_options *opt, char *err, size_t errlen)
{
    struct stat st;
    const char *cmd = opt->command;
    if (!cmd || !cmd[0]) {
        snprintf(err, errlen, "--notify-cmd: no command given");
        return NULL;
    }
    if (stat(cmd, &st) != 0) {
        snprintf(err, errlen, "--notify-cmd %s: %s", cmd, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || access(cmd, X_OK) != 0) {
        snprintf(err, errlen,
                 "--notify-cmd %s: not an executable file (a script needs chmod +x "
                 "and a #! line; no shell is used)",
                 cmd);
        return NULL;
    }
    struct notify *n = calloc(1, sizeof *n);
    int capacity = opt->queue_capacity > 0 ? opt->queue_capacity : 64;
    if (n)
        n->queue = calloc((size_t)capacity, sizeof *n->queue);
    if (!n || !n->queue) {
        free(n);
        snprintf(err, errlen, "--notify-cmd: out of memory");
        return NULL;
    }
    snprintf(n->command, sizeof n->command, "%s", cmd);
    n->capacity = capacity;
    n->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 10000;
    n->max_per_minute = opt->max_per_minute > 0 ? opt->max_per_minute : 10;
    n->tokens = n->max_per_minute;
    n->tokens_at_ms = clock_monotonic_ms();
    n->log = opt->log;
    n->log_ctx = opt->log_ctx;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    pthread_cond_init(&n->idle, NULL);
    return n;
}

bool notify_wants(enum alarm_change what, const struct alarm_info *a)
{
    if (a->priority < ALARM_PRIO_HIGH)
        return false;
    if (what == ALARM_CHANGE_CLEARED)
        return true;
    return (what == ALARM_CHANGE_RAISED || what == ALARM_CHANGE_ESCALATED) &&
           a->state == ALARM_ACTIVE_UNACKED;
}

/* The manager's listener: rate limit and copy; never blocks. */
static void on_change(void *ctx, enum alarm_change what, const struct alarm_info *a,
                      const struct alarm_action *act)
{
    struct notify *n = ctx;
    (void)act;
    if (!notify_wants(what, a))
        return;
    pthread_mutex_lock(&n->lock);
    int64_t now = clock_monotonic_ms();
    n->tokens += (double)(now - n->tokens_at_ms) * n->max_per_minute / 60000.0;
    if (n->tokens > n->max_per_minute)
        n->tokens = n->max_per_minute;
    n->tokens_at_ms = now;
    if (n->tokens < 1.0) {
        n->stats.rate_limited++;
    } else if (n->len == n->capacity) {
        n->stats.dropped++;
    } else {
        n->tokens -= 1.0;
        struct notify_item *it = &n->queue[(n->head + n->len++) % n->capacity];
        it->alarm = *a;
        it->change = what;
        n->stats.queued++;
        pthread_cond_signal(&n->wake);
    }
    pthread_mutex_unlock(&n->lock);
}

/* Writes all of buf to a non-blocking fd before the deadline. 0, or -1 (errno set). */
static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w > 0) {
            buf += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        int left = (int)(deadline - clock_monotonic_ms());
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, left);
    }
    return 0;
}

/* Waits for the child until the deadline, then kills it. Returns its wait status, or -1 when
 * it was killed for running too long. */
static int reap(pid_t pid, int64_t deadline)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return status;
        if (clock_monotonic_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

/* Environment for the child: ours plus the TWINTOP_ALARM_* variables, never the broker password
 * (main takes it out of the environment; this keeps an embedder's). Built before fork. */
static char **child_env(const struct notify_item *it, char extra[NOTIFY_ENV_EXTRA][256])
{
    size_t count = 0;
    while (environ && environ[count])
        count++;
    char **env = calloc(count + NOTIFY_ENV_EXTRA + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "TWINTOP_ALARM_", 14) != 0 &&
            strncmp(environ[i], "TWINTOP_MQTT_PASSWORD=", 22) != 0)
            env[j++] = environ[i];
    const struct alarm_info *a = &it->alarm;
    snprintf(extra[0], 256, "TWINTOP_ALARM_ID=%u", a->id);
    snprintf(extra[1], 256, "TWINTOP_ALARM_MACHINE=%s", a->machine_id);
    snprintf(extra[2], 256, "TWINTOP_ALARM_CONDITION=%s", a->condition);
    snprintf(extra[3], 256, "TWINTOP_ALARM_PRIORITY=%s", alarm_priority_name(a->priority));
    snprintf(extra[4], 256, "TWINTOP_ALARM_STATE=%s", alarm_state_name(a->state));
    snprintf(extra[5], 256, "TWINTOP_ALARM_CHANGE=%s", alarm_change_name(it->change));
    for (int i = 0; i < NOTIFY_ENV_EXTRA; i++)
        env[j++] = extra[i];
    env[j] = NULL;
    return env;
}

static void run_one(struct notify *n, const struct notify_item *it)
{
    const struct alarm_info *a = &it->alarm;
    char *json = alarm_info_to_json(a, alarm_change_name(it->change));
    char extra[NOTIFY_ENV_EXTRA][256];
    char **env = json ? child_env(it, extra) : NULL;
    int pipefd[2] = {-1, -1};
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = -1;
    const char *why = NULL;
    if (!json || !env)
        why = "out of memory";
    else if (devnull < 0 || pipe2(pipefd, O_CLOEXEC) != 0)
        why = strerror(errno);
    else if ((pid = fork()) < 0)
        why = strerror(errno);
    if (pid == 0) {
        /* child: only async-signal-safe calls until execve */
        sigset_t none;
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        sigaction(SIGPIPE, &dfl, NULL);
        dup2(pipefd[0], 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        close_range(3, ~0U, 0); /* database and socket fds are not the hook's business */
        char *argv[] = {n->command, NULL};
        execve(n->command, argv, env);
        _exit(127);
    }
    if (pid > 0) {
        int64_t deadline = clock_monotonic_ms() + n->timeout_ms;
        close(pipefd[0]);
        pipefd[0] = -1;
        fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
        size_t len = strlen(json);
        json[len] = '\n'; /* one JSON line; the NUL is not sent */
        int wrc = write_all(pipefd[1], json, len + 1, deadline);
        int werr = errno;
        close(pipefd[1]);
        pipefd[1] = -1;
        int status = reap(pid, deadline);
        pthread_mutex_lock(&n->lock);
        if (status < 0)
            n->stats.timed_out++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            n->stats.run++;
        else
            n->stats.failed++;
        pthread_mutex_unlock(&n->lock);
        if (status < 0)
            notify_log(n, "notify: %s: killed after %d ms for %s %s", n->command, n->timeout_ms,
                       a->machine_id, a->condition);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            notify_log(n, "notify: %s: could not be executed (exit 127) for %s %s", n->command,
                       a->machine_id, a->condition);
        else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            notify_log(n, "notify: %s: exit status %d for %s %s", n->command, WEXITSTATUS(status),
                       a->machine_id, a->condition);
        else if (WIFSIGNALED(status))
            notify_log(n, "notify: %s: killed by signal %d for %s %s", n->command, WTERMSIG(status),
                       a->machine_id, a->condition);
        else if (wrc != 0)
            notify_log(n, "notify: %s: did not read its input (%s) for %s %s", n->command,
                       strerror(werr), a->machine_id, a->condition);
    } else {
        pthread_mutex_lock(&n->lock);
        n->stats.failed++;
        pthread_mutex_unlock(&n->lock);
        notify_log(n, "notify: %s: cannot run: %s", n->command, why ? why : "fork failed");
    }
    for (int i = 0; i < 2; i++)
        if (pipefd[i] >= 0)
            close(pipefd[i]);
    if (devnull >= 0)
        close(devnull);
    free(env);
    free(json);
}

static void *notify_main(void *arg)
{
    struct notify *n = arg;
    /* A hook that exits without reading its input must give EPIPE here, not kill us. */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    pthread_mutex_lock(&n->lock);
    for (;;) {
        while (n->len == 0 && !n->stopping)
            pthread_cond_wait(&n->wake, &n->lock);
        if (n->stopping)
            break;
        struct notify_item it = n->queue[n->head];
        n->head = (n->head + 1) % n->capacity;
        n->len--;
        n->busy = true;
        pthread_mutex_unlock(&n->lock);
        run_one(n, &it);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
            ; /* consume the SIGPIPE that write may have raised */
        pthread_mutex_lock(&n->lock);
        n->busy = false;
        pthread_cond_broadcast(&n->idle);
    }
    n->busy = false;
    pthread_cond_broadcast(&n->idle);
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int notify_attach(struct notify *n, struct alarm_manager *m, char *err, size_t errlen)
{
    if (pthread_create(&n->thread, NULL, notify_main, n) != 0) {
        snprintf(err, errlen, "--notify-cmd: cannot start the notify thread");
        return -1;
    }
    n->started = true;
    struct alarm_listener l = {.ctx = n, .on_change = on_change};
    if (alarm_add_listener(m, &l) != 0) {
        snprintf(err, errlen, "--notify-cmd: alarm manager has too many listeners");
        return -1;
    }
    n->manager = m;
    return 0;
}

void notify_flush(struct notify *n)
{
    pthread_mutex_lock(&n->lock);
    while (n->started && !n->stopping && (n->len > 0 || n->busy))
        pthread_cond_wait(&n->idle, &n->lock);
    pthread_mutex_unlock(&n->lock);
}

void notify_get_stats(struct notify *n, struct notify_stats *out)
{
    pthread_mutex_lock(&n->lock);
    *out = n->stats;
    pthread_mutex_unlock(&n->lock);
}

void notify_destroy(struct notify *n)
{
    if (!n)
        return;
    if (n->manager)
        alarm_remove_listener(n->manager, n);
    if (n->started) {
        pthread_mutex_lock(&n->lock);
        n->stopping = true;
        pthread_cond_broadcast(&n->wake);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->thread, NULL);
    }
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    pthread_cond_destroy(&n->idle);
    free(n->queue);
    free(n);
}
