/* dapriot-devices: runs N simulated devices (the real firmware core) in one process over
 * libmosquitto. One thread, one epoll loop, one MQTT connection per device; see README.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "topic.h"

enum { IDLE, CONNECTING, ONLINE };

typedef struct sim sim_t;

typedef struct {
    sim_t *sim;
    struct mosquitto *mosq;
    fw_port_t port;
    int fd;              /* registered with epoll, or -1 */
    uint32_t events;     /* registered epoll events */
    uint8_t conn;        /* IDLE, CONNECTING, ONLINE */
    bool connack;        /* set by on_connect (accepted) */
    bool lost;           /* set by on_connect (refused) / on_disconnect */
    bool was_online;
    int refused_rc;
    uint32_t retry_at;
    uint32_t backoff_ms;
    uint32_t connect_started;
    uint32_t index;
    fw_device_t dev;
} sim_dev_t;

typedef struct {
    char *id;
    char *password;
} cred_t;

struct sim {
    /* options */
    const char *host;
    int port;
    fw_type_t type;
    uint32_t count, first;
    const char *prefix;
    const char *exact_id; /* --id: the one device's id as issued (e.g. by the platform's API), not P<n> */
    uint32_t telemetry_ms;
    double rate;
    uint32_t heartbeat_s;
    const char *username, *password, *cred_file;
    double duration_s;
    bool json;
    uint32_t connect_rate;
    uint32_t backoff_min_ms, backoff_max_ms;
    int keepalive_s;
    uint32_t boot;
    uint16_t sim_speed;
    double status_s;
    bool quiet;
    /* state */
    int epfd;
    sim_dev_t *devs;
    cred_t *creds;
    size_t ncreds;
    uint32_t tick_ms;
    struct timespec t0;
    uint32_t online, connecting;
    uint64_t connects, reconnects, connect_failures, lost_count;
    char last_error[96];
    uint32_t all_online_at; /* ms, 0 = not yet */
    uint64_t telemetry_at_all_online;
    uint32_t rng;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint32_t sim_now(const sim_t *s)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t ms = (int64_t)(t.tv_sec - s->t0.tv_sec) * 1000 + (t.tv_nsec - s->t0.tv_nsec) / 1000000;
    return (uint32_t)ms + 1; /* never 0: 0 means "not yet" in a few places */
}

static uint32_t rnd(sim_t *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    return s->rng;
}

static void logf_(const sim_t *s, const char *fmt, ...)
{
    if (s->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%7.1fs] ", sim_now(s) / 1000.0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the port the core sees ---- */

static uint32_t port_now(void *ctx) { return sim_now(((sim_dev_t *)ctx)->sim); }

static fw_err_t port_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                             int32_t *mid)
{
    sim_dev_t *d = ctx;
    int m = 0;
    int rc = mosquitto_publish(d->mosq, &m, topic, (int)len, payload, qos, retain);
    if (mid)
        *mid = m;
    if (rc == MOSQ_ERR_SUCCESS)
        return FW_OK;
    if (rc == MOSQ_ERR_NOMEM || rc == MOSQ_ERR_OVERSIZE_PACKET)
        return FW_ERR_NO_SPACE;
    return FW_ERR_OFFLINE;
}

/* ---- libmosquitto callbacks: record, act in the loop ---- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    sim_dev_t *d = obj;
    if (rc != 0) {
        d->lost = true;
        d->refused_rc = rc;
        return;
    }
    char topic[FW_TOPIC_MAX];
    fw_device_cmd_topic(&d->dev, topic, sizeof(topic));
    mosquitto_subscribe(mosq, NULL, topic, 1);
    d->connack = true;
    fw_device_on_connect(&d->dev, &d->port);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    sim_dev_t *d = obj;
    (void)rc;
    /* The socket is still open here: take it out of epoll before libmosquitto closes it, so a
     * later socket reusing the number is not touched. */
    if (d->fd >= 0 && mosquitto_socket(mosq) == d->fd)
        epoll_ctl(d->sim->epfd, EPOLL_CTL_DEL, d->fd, NULL);
    d->fd = -1;
    d->lost = true;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    (void)mosq;
    fw_device_on_published(&((sim_dev_t *)obj)->dev, mid);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    (void)mosq;
    sim_dev_t *d = obj;
    fw_device_on_command(&d->dev, &d->port, msg->payload ? msg->payload : "", (size_t)msg->payloadlen);
}

/* ---- client set-up ---- */

/* libmosquitto 2.0 opens a socket pair per client for waking loop_start threads, which this
 * loop never uses; it only warns when that fails. Making it fail (no free descriptor while the
 * client is (re)initialised) keeps each device at one file descriptor: its MQTT socket. */
static struct mosquitto *without_socketpair(sim_dev_t *d, const char *id)
{
    struct rlimit saved, tight;
    getrlimit(RLIMIT_NOFILE, &saved);
    int lowest = fcntl(d->sim->epfd, F_DUPFD, 0);
    if (lowest >= 0)
        close(lowest);
    tight = saved;
    if (lowest >= 0)
        tight.rlim_cur = (rlim_t)lowest;
    setrlimit(RLIMIT_NOFILE, &tight);
    struct mosquitto *m = d->mosq;
    if (!m)
        m = mosquitto_new(id, true, d);
    else if (mosquitto_reinitialise(m, id, true, d) != MOSQ_ERR_SUCCESS)
        m = NULL;
    setrlimit(RLIMIT_NOFILE, &saved);
    return m;
}

static int cred_cmp(const void *a, const void *b) { return strcmp(((const cred_t *)a)->id, ((const cred_t *)b)->id); }

static void expand(char *out, size_t cap, const char *pattern, const sim_dev_t *d)
{
    size_t n = 0;
    for (const char *p = pattern; *p && n + 1 < cap;) {
        if (strncmp(p, "{id}", 4) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", d->dev.id);
            p += 4;
        } else if (strncmp(p, "{n}", 3) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%u", d->sim->first + d->index);
            p += 3;
        } else {
            out[n++] = *p++;
        }
        if (n >= cap)
            n = cap - 1;
    }
    out[n] = '\0';
}

static bool setup_client(sim_dev_t *d)
{
    sim_t *s = d->sim;
    struct mosquitto *m = without_socketpair(d, d->dev.id);
    if (!m)
        return false;
    d->mosq = m;
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_disconnect_callback_set(m, on_disconnect);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_message_callback_set(m, on_message);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    /* An ack and the state report after it are two small writes: with Nagle's algorithm the second waits for the
     * broker's delayed ACK of the first, about 40 ms on Linux, on every command's round trip. */
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    char topic[FW_TOPIC_MAX], will[FW_REPORT_MAX];
    size_t len = 0;
    if (fw_device_will(&d->dev, topic, sizeof(topic), will, sizeof(will), &len) == FW_OK)
        mosquitto_will_set(m, topic, (int)len, will, 1, true);
    char user[128] = "", pass[256] = "";
    const char *pw = NULL;
    if (s->username)
        expand(user, sizeof(user), s->username, d);
    if (s->password) {
        expand(pass, sizeof(pass), s->password, d);
        pw = pass;
    }
    if (s->creds) {
        cred_t key = {d->dev.id, NULL};
        cred_t *c = bsearch(&key, s->creds, s->ncreds, sizeof(cred_t), cred_cmp);
        if (c) {
            if (!s->username)
                snprintf(user, sizeof(user), "%s", d->dev.id);
            pw = c->password;
        }
    }
    if (user[0])
        mosquitto_username_pw_set(m, user, pw);
    return true;
}

static void set_interest(sim_dev_t *d)
{
    int fd = mosquitto_socket(d->mosq);
    if (fd < 0)
        return;
    uint32_t want = EPOLLIN | (mosquitto_want_write(d->mosq) ? EPOLLOUT : 0);
    struct epoll_event ev = {.events = want, .data.ptr = d};
    if (d->fd != fd) {
        if (epoll_ctl(d->sim->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
            d->fd = fd;
            d->events = want;
        }
    } else if (want != d->events) {
        epoll_ctl(d->sim->epfd, EPOLL_CTL_MOD, fd, &ev);
        d->events = want;
    }
}

static void schedule_retry(sim_dev_t *d, uint32_t now)
{
    sim_t *s = d->sim;
    uint32_t b = d->backoff_ms;
    d->retry_at = now + b / 2 + rnd(s) % (b / 2 + 1); /* half fixed, half jitter */
    d->backoff_ms = b * 2 > s->backoff_max_ms ? s->backoff_max_ms : b * 2;
}

static void lose(sim_dev_t *d, const char *why)
{
    sim_t *s = d->sim;
    uint32_t now = sim_now(s);
    if (d->conn == ONLINE) {
        s->online--;
        s->lost_count++;
        fw_device_on_disconnect(&d->dev);
        s->all_online_at = 0; /* the rate is measured only while every device is online */
    } else if (d->conn == CONNECTING) {
        s->connecting--;
        s->connect_failures++;
    }
    snprintf(s->last_error, sizeof(s->last_error), "%s", why);
    if (d->fd >= 0 && mosquitto_socket(d->mosq) == d->fd)
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, d->fd, NULL);
    d->fd = -1;
    d->conn = IDLE;
    d->lost = false;
    d->connack = false;
    /* drop the socket and libmosquitto's own queue now; the core's outbox keeps what matters */
    setup_client(d);
    schedule_retry(d, now);
    if (s->count <= 10)
        logf_(s, "%s: %s; retrying in %.1f s", d->dev.id, why, (d->retry_at - now) / 1000.0);
}

static void start_connect(sim_dev_t *d)
{
    sim_t *s = d->sim;
    d->connect_started = sim_now(s);
    d->lost = false;
    d->connack = false;
    int rc = mosquitto_connect_async(d->mosq, s->host, s->port, s->keepalive_s);
    d->conn = CONNECTING;
    s->connecting++;
    if (rc != MOSQ_ERR_SUCCESS) {
        lose(d, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return;
    }
    set_interest(d);
}

/* After any libmosquitto call on d: act on what the callbacks recorded, keep epoll in step. */
static void settle(sim_dev_t *d, int rc)
{
    sim_t *s = d->sim;
    if (d->connack && d->conn == CONNECTING) {
        d->connack = false;
        d->conn = ONLINE;
        s->connecting--;
        s->online++;
        s->connects++;
        if (d->was_online)
            s->reconnects++;
        d->was_online = true;
        d->backoff_ms = s->backoff_min_ms;
        if (s->count <= 10)
            logf_(s, "%s: online", d->dev.id);
    }
    if (rc == MOSQ_ERR_SUCCESS && !d->lost && mosquitto_want_write(d->mosq))
        rc = mosquitto_loop_write(d->mosq, 1);
    if (d->lost || rc != MOSQ_ERR_SUCCESS) {
        char why[80];
        if (d->refused_rc)
            snprintf(why, sizeof(why), "broker refused the connection: %s", mosquitto_connack_string(d->refused_rc));
        else if (rc == MOSQ_ERR_ERRNO)
            snprintf(why, sizeof(why), "%s", strerror(errno));
        else if (rc != MOSQ_ERR_SUCCESS)
            snprintf(why, sizeof(why), "%s", mosquitto_strerror(rc));
        else
            snprintf(why, sizeof(why), "connection lost");
        d->refused_rc = 0;
        lose(d, why);
        return;
    }
    set_interest(d);
}

static void tick(sim_dev_t *d, uint32_t now, uint32_t *tokens)
{
    if (d->conn == IDLE) {
        if ((int32_t)(now - d->retry_at) >= 0 && *tokens > 0) {
            (*tokens)--;
            start_connect(d);
        }
        fw_device_tick(&d->dev, &d->port);
        return;
    }
    if (d->conn == CONNECTING && now - d->connect_started > 10000u) {
        lose(d, "connect timed out");
        return;
    }
    fw_device_tick(&d->dev, &d->port);
    settle(d, mosquitto_loop_misc(d->mosq)); /* keepalive pings */
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dapriot-devices --type lightbulb|sousvide [options]\n"
            "  --broker HOST:PORT         MQTT broker (default 127.0.0.1:1883)\n"
            "  --type TYPE                lightbulb or sousvide\n"
            "  --count N                  devices in this process (default 1)\n"
            "  --first N                  number of the first device (default 1)\n"
            "  --id-prefix P              device ids are P<n> (default bulb- / cooker-)\n"
            "  --id ID                    one device with exactly this id (as the platform issued it)\n"
            "  --telemetry-interval MS    telemetry period of each device (default 5000)\n"
            "  --rate R                   total telemetry messages/s across all devices (sets the period)\n"
            "  --heartbeat S              longest silence, announced in presence (default 30)\n"
            "  --username PATTERN         MQTT username; {id} = device id, {n} = number\n"
            "  --password PATTERN         MQTT password; same substitutions\n"
            "  --credentials FILE         lines \"<deviceId> <password>\"; username = device id\n"
            "  --duration S               stop after S seconds (default: until SIGINT/SIGTERM)\n"
            "  --report json|text         exit report format (default text)\n"
            "  --connect-rate N           new connections per second at most (default 2000)\n"
            "  --backoff-min MS           first reconnect delay (default 500)\n"
            "  --backoff-max MS           longest reconnect delay (default 30000)\n"
            "  --keepalive S              MQTT keepalive (default 60)\n"
            "  --boot N                   boot counter (default: seconds since 1970, so it grows per run)\n"
            "  --sim-speed X              sous-vide thermal model runs X times faster (default 1)\n"
            "  --status-interval S        status line period on stderr, 0 = off (default 5)\n"
            "  --quiet                    no log lines, only the report\n");
}

static int parse_args(sim_t *s, int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, 0, 'b'},       {"type", required_argument, 0, 't'},
        {"count", required_argument, 0, 'n'},        {"first", required_argument, 0, 'f'},
        {"id-prefix", required_argument, 0, 'p'},    {"telemetry-interval", required_argument, 0, 'i'},
        {"rate", required_argument, 0, 'r'},         {"heartbeat", required_argument, 0, 'H'},
        {"username", required_argument, 0, 'u'},     {"password", required_argument, 0, 'P'},
        {"credentials", required_argument, 0, 'c'},  {"duration", required_argument, 0, 'd'},
        {"report", required_argument, 0, 'R'},      {"connect-rate", required_argument, 0, 'C'},
        {"backoff-min", required_argument, 0, 'm'},  {"backoff-max", required_argument, 0, 'M'},
        {"keepalive", required_argument, 0, 'k'},    {"boot", required_argument, 0, 'B'},
        {"sim-speed", required_argument, 0, 's'},    {"status-interval", required_argument, 0, 'S'},
        {"id", required_argument, 0, 'I'},           {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    bool have_type = false;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': {
            static char host[256];
            snprintf(host, sizeof(host), "%s", optarg);
            char *colon = strrchr(host, ':');
            if (colon) {
                *colon = '\0';
                s->port = atoi(colon + 1);
            }
            s->host = host;
            break;
        }
        case 't':
            if (strcmp(optarg, "lightbulb") == 0)
                s->type = FW_TYPE_LIGHTBULB;
            else if (strcmp(optarg, "sousvide") == 0)
                s->type = FW_TYPE_SOUSVIDE;
            else {
                fprintf(stderr, "--type must be lightbulb or sousvide, not '%s'\n", optarg);
                return 2;
            }
            have_type = true;
            break;
        case 'n': s->count = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'f': s->first = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'p': s->prefix = optarg; break;
        case 'I': s->exact_id = optarg; break;
        case 'i': s->telemetry_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'r': s->rate = atof(optarg); break;
        case 'H': s->heartbeat_s = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'u': s->username = optarg; break;
        case 'P': s->password = optarg; break;
        case 'c': s->cred_file = optarg; break;
        case 'd': s->duration_s = atof(optarg); break;
        case 'R': s->json = strcmp(optarg, "json") == 0; break;
        case 'C': s->connect_rate = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'm': s->backoff_min_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'M': s->backoff_max_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'k': s->keepalive_s = atoi(optarg); break;
        case 'B': s->boot = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 's': s->sim_speed = (uint16_t)atoi(optarg); break;
        case 'S': s->status_s = atof(optarg); break;
        case 'q': s->quiet = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (!have_type || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (s->count == 0 || s->port <= 0 || s->port > 65535 || s->connect_rate == 0 || s->backoff_min_ms == 0 ||
        s->backoff_max_ms < s->backoff_min_ms || s->heartbeat_s == 0 || s->heartbeat_s > 3600) {
        fprintf(stderr, "invalid option values: need --count >= 1, a valid port, --connect-rate >= 1, "
                        "1 <= --backoff-min <= --backoff-max, 1 <= --heartbeat <= 3600\n");
        return 2;
    }
    if (s->exact_id && (s->count != 1 || s->prefix)) {
        fprintf(stderr, "--id names one device: it goes without --count above 1 and without --id-prefix\n");
        return 2;
    }
    if (!s->prefix)
        s->prefix = s->type == FW_TYPE_LIGHTBULB ? "bulb-" : "cooker-";
    if (s->rate > 0) {
        double ms = s->count * 1000.0 / s->rate;
        s->telemetry_ms = ms < 1 ? 1 : (uint32_t)(ms + 0.5);
    }
    return 0;
}

static int load_credentials(sim_t *s)
{
    FILE *f = fopen(s->cred_file, "r");
    if (!f) {
        fprintf(stderr, "cannot read --credentials %s: %s\n", s->cred_file, strerror(errno));
        return 1;
    }
    size_t cap = 0;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *id = strtok(line, " :\t\r\n");
        char *pw = strtok(NULL, " \t\r\n");
        if (!id || !pw || id[0] == '#')
            continue;
        if (s->ncreds == cap) {
            cap = cap ? cap * 2 : 256;
            s->creds = realloc(s->creds, cap * sizeof(cred_t));
        }
        s->creds[s->ncreds].id = strdup(id);
        s->creds[s->ncreds].password = strdup(pw);
        s->ncreds++;
    }
    fclose(f);
    qsort(s->creds, s->ncreds, sizeof(cred_t), cred_cmp);
    return 0;
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return v;
}

static uint64_t total_telemetry(const sim_t *s)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < s->count; i++)
        t += s->devs[i].dev.stats.telemetry;
    return t;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    sim_t s;
    memset(&s, 0, sizeof(s));
    s.host = "127.0.0.1";
    s.port = 1883;
    s.count = 1;
    s.first = 1;
    s.telemetry_ms = 5000;
    s.heartbeat_s = 30;
    s.connect_rate = 2000;
    s.backoff_min_ms = 500;
    s.backoff_max_ms = 30000;
    s.keepalive_s = 60;
    s.sim_speed = 1;
    s.status_s = 5;
    int rc = parse_args(&s, argc, argv);
    if (rc)
        return rc;
    if (s.cred_file && load_credentials(&s))
        return 2;
    if (!s.boot)
        s.boot = (uint32_t)time(NULL);
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    s.rng = (uint32_t)time(NULL) ^ (uint32_t)getpid() ^ 0x9e3779b9u;
    if (!s.rng)
        s.rng = 1;

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && s.count + 64 > rl.rlim_cur) {
        fprintf(stderr, "%u devices need %u file descriptors; this process may open %lu (ulimit -n)\n", s.count,
                s.count + 64, (unsigned long)rl.rlim_cur);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    s.epfd = epoll_create1(EPOLL_CLOEXEC);
    s.devs = calloc(s.count, sizeof(sim_dev_t));
    if (s.epfd < 0 || !s.devs) {
        fprintf(stderr, "out of resources for %u devices\n", s.count);
        return 1;
    }
    uint32_t period = s.telemetry_ms ? s.telemetry_ms : s.heartbeat_s * 1000u;
    s.tick_ms = period < 100 ? (period < 2 ? 1 : period / 2) : 100;
    for (uint32_t i = 0; i < s.count; i++) {
        sim_dev_t *d = &s.devs[i];
        d->sim = &s;
        d->index = i;
        d->fd = -1;
        d->backoff_ms = s.backoff_min_ms;
        d->port = (fw_port_t){port_now, port_publish, NULL, NULL, NULL, d};
        char id[64];
        if (s.exact_id)
            snprintf(id, sizeof(id), "%s", s.exact_id);
        else
            snprintf(id, sizeof(id), "%s%u", s.prefix, s.first + i);
        fw_device_config_t cfg = {s.type, id, s.boot, s.telemetry_ms, s.heartbeat_s, rnd(&s) % period, s.sim_speed};
        if (fw_device_init(&d->dev, &cfg, &d->port) != FW_OK) {
            fprintf(stderr, "invalid device id '%s': use 1-32 characters of A-Z a-z 0-9 _ -\n", id);
            return 2;
        }
        if (!setup_client(d)) {
            fprintf(stderr, "cannot create MQTT client %u\n", i);
            return 1;
        }
        d->retry_at = sim_now(&s);
    }
    if (s.exact_id)
        logf_(&s, "1 %s device %s -> %s:%d, telemetry every %u ms, boot %u", fw_type_name(s.type), s.exact_id, s.host,
              s.port, s.telemetry_ms, s.boot);
    else
        logf_(&s, "%u %s devices %s%u..%s%u -> %s:%d, telemetry every %u ms each (%.0f msg/s in total), boot %u",
              s.count, fw_type_name(s.type), s.prefix, s.first, s.prefix, s.first + s.count - 1, s.host, s.port,
              s.telemetry_ms, s.telemetry_ms ? s.count * 1000.0 / s.telemetry_ms : 0.0, s.boot);

    struct epoll_event evs[512];
    uint32_t last = sim_now(&s), next_status = last + (uint32_t)(s.status_s * 1000);
    uint32_t end = s.duration_s > 0 ? last + (uint32_t)(s.duration_s * 1000) : 0;
    double budget = 0, tokens = s.connect_rate / 10.0;
    uint32_t cursor = 0;
    bool said_waiting = false;
    while (!stop_requested && (!end || (int32_t)(sim_now(&s) - end) < 0)) {
        int n = epoll_wait(s.epfd, evs, 512, s.tick_ms < 10 ? (int)s.tick_ms : 10);
        for (int k = 0; k < n; k++) {
            sim_dev_t *d = evs[k].data.ptr;
            if (d->conn == IDLE)
                continue;
            int r = MOSQ_ERR_SUCCESS;
            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                r = mosquitto_loop_read(d->mosq, 1);
            if (r == MOSQ_ERR_SUCCESS && !d->lost && (evs[k].events & EPOLLOUT))
                r = mosquitto_loop_write(d->mosq, 1);
            settle(d, r);
        }
        uint32_t now = sim_now(&s);
        uint32_t dt = now - last;
        last = now;
        tokens += s.connect_rate * dt / 1000.0;
        if (tokens > s.connect_rate / 10.0 + 1)
            tokens = s.connect_rate / 10.0 + 1;
        budget += (double)s.count * dt / s.tick_ms;
        if (budget > s.count)
            budget = s.count;
        uint32_t itokens = (uint32_t)tokens;
        uint32_t before = itokens;
        while (budget >= 1) {
            budget -= 1;
            tick(&s.devs[cursor], now, &itokens);
            cursor = cursor + 1 == s.count ? 0 : cursor + 1;
        }
        tokens -= before - itokens;
        if (s.online == s.count && !s.all_online_at) {
            s.all_online_at = now;
            s.telemetry_at_all_online = total_telemetry(&s);
            logf_(&s, "all %u devices online", s.count);
            said_waiting = false;
        }
        if (s.online < s.count && s.connect_failures && !said_waiting && s.count > 10) {
            logf_(&s, "broker %s:%d not reachable for some devices (%s): retrying with backoff up to %.1f s", s.host,
                  s.port, s.last_error, s.backoff_max_ms / 1000.0);
            said_waiting = true;
        }
        if (s.status_s > 0 && (int32_t)(now - next_status) >= 0) {
            next_status = now + (uint32_t)(s.status_s * 1000);
            logf_(&s, "online %u/%u, connecting %u, waiting %u; telemetry %llu, reconnects %llu%s%s", s.online,
                  s.count, s.connecting, s.count - s.online - s.connecting, (unsigned long long)total_telemetry(&s),
                  (unsigned long long)s.reconnects, s.online < s.count && s.last_error[0] ? "; last error: " : "",
                  s.online < s.count ? s.last_error : "");
        }
    }

    /* measure before tearing anything down */
    uint32_t stop_at = sim_now(&s);
    long rss_kb = status_kb("VmRSS"), hwm_kb = status_kb("VmHWM");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    uint64_t telemetry = total_telemetry(&s);
    double elapsed_s = stop_at / 1000.0;
    double steady_s = s.all_online_at ? (stop_at - s.all_online_at) / 1000.0 : 0;
    double rate = steady_s > 0.5 ? (telemetry - s.telemetry_at_all_online) / steady_s : 0;
    uint32_t online_at_end = s.online;

    /* goodbye: retained "offline" from every online device, then a clean disconnect */
    for (uint32_t i = 0; i < s.count; i++) {
        sim_dev_t *d = &s.devs[i];
        if (d->conn == ONLINE) {
            fw_device_goodbye(&d->dev, &d->port);
            mosquitto_disconnect(d->mosq);
            mosquitto_loop_write(d->mosq, 1);
        }
    }
    uint64_t published = 0, acked = 0, commands = 0, rejected = 0, duplicates = 0;
    for (uint32_t i = 0; i < s.count; i++) {
        fw_device_stats_t *st = &s.devs[i].dev.stats;
        published += st->published;
        acked += st->acked;
        commands += st->commands;
        rejected += st->rejected;
        duplicates += st->duplicates;
        mosquitto_destroy(s.devs[i].mosq);
    }
    mosquitto_lib_cleanup();
    double per_1000_mb = rss_kb > 0 ? rss_kb / 1024.0 * 1000.0 / s.count : 0;
    if (s.json) {
        printf("{\"type\":\"%s\",\"devices\":%u,\"online\":%u,\"elapsedS\":%.1f,\"steadyS\":%.1f,"
               "\"connects\":%llu,\"reconnects\":%llu,\"connectFailures\":%llu,\"connectionsLost\":%llu,"
               "\"published\":%llu,\"telemetry\":%llu,\"telemetryPerS\":%.1f,\"targetTelemetryPerS\":%.1f,"
               "\"acksReceived\":%llu,\"commandsReceived\":%llu,\"commandsRejected\":%llu,\"commandsDuplicate\":%llu,"
               "\"rssKb\":%ld,\"peakRssKb\":%ld,\"rssMbPer1000Devices\":%.2f,\"cpuS\":%.2f}\n",
               fw_type_name(s.type), s.count, online_at_end, elapsed_s, steady_s, (unsigned long long)s.connects,
               (unsigned long long)s.reconnects, (unsigned long long)s.connect_failures,
               (unsigned long long)s.lost_count, (unsigned long long)published, (unsigned long long)telemetry, rate,
               s.telemetry_ms ? s.count * 1000.0 / s.telemetry_ms : 0.0, (unsigned long long)acked,
               (unsigned long long)commands, (unsigned long long)rejected, (unsigned long long)duplicates, rss_kb,
               hwm_kb, per_1000_mb, cpu_s);
    } else {
        printf("devices %u %s, online at the end %u, ran %.1f s (%.1f s with all online)\n"
               "connects %llu, reconnects %llu, failed connects %llu, connections lost %llu\n"
               "published %llu (telemetry %llu, %.1f msg/s with all online), acks received %llu\n"
               "commands received %llu (rejected %llu, duplicates %llu)\n"
               "memory: VmRSS %ld kB, VmHWM %ld kB, %.2f MB per 1000 devices; CPU %.2f s\n",
               s.count, fw_type_name(s.type), online_at_end, elapsed_s, steady_s, (unsigned long long)s.connects,
               (unsigned long long)s.reconnects, (unsigned long long)s.connect_failures,
               (unsigned long long)s.lost_count, (unsigned long long)published, (unsigned long long)telemetry, rate,
               (unsigned long long)acked, (unsigned long long)commands, (unsigned long long)rejected,
               (unsigned long long)duplicates, rss_kb, hwm_kb, per_1000_mb, cpu_s);
    }
    for (size_t i = 0; i < s.ncreds; i++) {
        free(s.creds[i].id);
        free(s.creds[i].password);
    }
    free(s.creds);
    free(s.devs);
    close(s.epfd);
    return 0;
}
