#include "fake_port.h"

#include <string.h>

static uint32_t fake_now(void *ctx) { return ((fake_port_t *)ctx)->now; }

static fw_err_t fake_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos,
                             bool retain, int32_t *mid)
{
    fake_port_t *f = ctx;
    if (f->offline)
        return FW_ERR_OFFLINE;
    fake_msg_t *m = &f->msgs[f->count % FAKE_MAX];
    f->count++;
    strncpy(m->topic, topic, sizeof(m->topic) - 1);
    m->topic[sizeof(m->topic) - 1] = '\0';
    if (len > FW_PAYLOAD_MAX)
        len = FW_PAYLOAD_MAX;
    memcpy(m->payload, payload, len);
    m->payload[len] = '\0';
    m->qos = qos;
    m->retain = retain;
    m->mid = ++f->next_mid;
    if (mid)
        *mid = m->mid;
    return FW_OK;
}

static void fake_light(void *ctx, bool on, uint8_t brightness_pct, uint16_t color_temp_k)
{
    fake_port_t *f = ctx;
    (void)brightness_pct;
    (void)color_temp_k;
    f->light_on = on;
    f->light_calls++;
}

static void fake_heater(void *ctx, bool on) { ((fake_port_t *)ctx)->heater_on = on; }

void fake_port_init(fake_port_t *fake)
{
    memset(fake, 0, sizeof(*fake));
    fake->now = 1000;
    fake->port.now_ms = fake_now;
    fake->port.publish = fake_publish;
    fake->port.set_light = fake_light;
    fake->port.set_heater = fake_heater;
    fake->port.read_water_temp = NULL;
    fake->port.ctx = fake;
}

const fake_msg_t *fake_msg(const fake_port_t *fake, int n)
{
    if (n < 0 || n >= fake->count || n < fake->count - FAKE_MAX)
        return NULL;
    return &fake->msgs[n % FAKE_MAX];
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

const fake_msg_t *fake_last(const fake_port_t *fake, const char *suffix)
{
    for (int n = fake->count - 1; n >= 0 && n >= fake->count - FAKE_MAX; n--)
        if (ends_with(fake->msgs[n % FAKE_MAX].topic, suffix))
            return &fake->msgs[n % FAKE_MAX];
    return NULL;
}

int fake_count(const fake_port_t *fake, const char *suffix)
{
    int c = 0;
    for (int n = fake->count - 1; n >= 0 && n >= fake->count - FAKE_MAX; n--)
        if (ends_with(fake->msgs[n % FAKE_MAX].topic, suffix))
            c++;
    return c;
}
