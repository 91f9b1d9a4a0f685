#include "device.h"

#include <string.h>

#include "topic.h"

static bool due(uint32_t now, uint32_t deadline) { return (int32_t)(now - deadline) >= 0; }

fw_err_t fw_device_init(fw_device_t *dev, const fw_device_config_t *cfg, const fw_port_t *port)
{
    size_t n = strlen(cfg->id);
    if ((unsigned)cfg->type >= FW_TYPE_COUNT || !fw_device_id_valid(cfg->id, n))
        return FW_ERR_BAD_TOPIC;
    memset(dev, 0, sizeof(*dev));
    dev->type = cfg->type;
    memcpy(dev->id, cfg->id, n + 1);
    dev->boot = cfg->boot ? cfg->boot : 1;
    dev->heartbeat_s = cfg->heartbeat_s ? cfg->heartbeat_s : 30;
    if (dev->heartbeat_s > 3600)
        dev->heartbeat_s = 3600;
    uint32_t hb_ms = dev->heartbeat_s * 1000u;
    dev->telemetry_ms = cfg->telemetry_ms && cfg->telemetry_ms < hb_ms ? cfg->telemetry_ms : hb_ms;
    dev->sim_speed = cfg->sim_speed ? cfg->sim_speed : 1;
    dev->start_ms = dev->last_step_ms = port->now_ms(port->ctx);
    dev->next_telemetry_ms = dev->start_ms + cfg->first_telemetry_ms;
    fw_outbox_init(&dev->outbox);
    if (dev->type == FW_TYPE_LIGHTBULB)
        bulb_init(&dev->model.bulb);
    else
        sousvide_init(&dev->model.sv);
    return FW_OK;
}

fw_err_t fw_device_cmd_topic(const fw_device_t *dev, char *topic, size_t cap)
{
    int n = fw_topic_build(topic, cap, dev->type, dev->id, FW_KIND_CMD);
    return n < 0 ? (fw_err_t)n : FW_OK;
}

static fw_err_t build(const fw_device_t *dev, fw_kind_t kind, const fw_msg_t *m, char *topic, size_t tcap,
                      char *payload, size_t pcap, size_t *plen)
{
    int n = fw_topic_build(topic, tcap, dev->type, dev->id, kind);
    if (n < 0)
        return (fw_err_t)n;
    return fw_encode(dev->type, kind, m, payload, pcap, plen);
}

fw_err_t fw_device_will(const fw_device_t *dev, char *topic, size_t topic_cap, char *payload, size_t payload_cap,
                        size_t *payload_len)
{
    fw_msg_t m;
    memset(&m.presence, 0, sizeof(m.presence));
    m.presence.boot = dev->boot;
    m.presence.seq = 0;
    m.presence.status = FW_PRESENCE_OFFLINE;
    return build(dev, FW_KIND_PRESENCE, &m, topic, topic_cap, payload, payload_cap, payload_len);
}

static fw_err_t send_now(fw_device_t *dev, const fw_port_t *port, fw_kind_t kind, const fw_msg_t *m, uint8_t qos,
                         bool retain, int32_t *mid_out)
{
    char topic[FW_TOPIC_MAX];
    char payload[FW_REPORT_MAX];
    size_t len = 0;
    fw_err_t e = build(dev, kind, m, topic, sizeof(topic), payload, sizeof(payload), &len);
    if (e != FW_OK)
        return e;
    int32_t mid = 0;
    e = port->publish(port->ctx, topic, payload, len, qos, retain, &mid);
    if (e == FW_OK)
        dev->stats.published++;
    if (mid_out)
        *mid_out = e == FW_OK ? mid : 0;
    return e;
}

static void flush(fw_device_t *dev, const fw_port_t *port)
{
    if (!dev->connected)
        return;
    char topic[FW_TOPIC_MAX];
    fw_outbox_slot_t *s;
    while ((s = fw_outbox_next(&dev->outbox)) != NULL) {
        if (fw_topic_build(topic, sizeof(topic), dev->type, dev->id, (fw_kind_t)s->kind) < 0)
            return;
        int32_t mid = 0;
        if (port->publish(port->ctx, topic, s->payload, s->len, 1, false, &mid) != FW_OK)
            return;
        dev->stats.published++;
        s->mid = mid;
        s->state = FW_SLOT_IN_FLIGHT;
    }
}

/* Builds a report with the next seq and puts it in the outbox. */
static void report(fw_device_t *dev, fw_kind_t kind, fw_msg_t *m)
{
    char payload[FW_REPORT_MAX];
    size_t len = 0;
    /* boot and seq are the first two fields of every report struct */
    fw_bulb_state_t *stamp = &m->bulb_state;
    stamp->boot = dev->boot;
    stamp->seq = ++dev->seq;
    if (fw_encode(dev->type, kind, m, payload, sizeof(payload), &len) != FW_OK)
        return;
    fw_outbox_put(&dev->outbox, kind, payload, len);
}

static void report_state(fw_device_t *dev)
{
    fw_msg_t m;
    if (dev->type == FW_TYPE_LIGHTBULB) {
        memset(&m.bulb_state, 0, sizeof(m.bulb_state));
        bulb_report(&dev->model.bulb, &m.bulb_state);
    } else {
        memset(&m.sv_state, 0, sizeof(m.sv_state));
        sousvide_report(&dev->model.sv, &m.sv_state);
    }
    report(dev, FW_KIND_STATE, &m);
}

static void report_ack(fw_device_t *dev, const char *id, const fw_diag_t *diag)
{
    fw_msg_t m;
    fw_ack_t *a = &m.ack;
    memset(a, 0, sizeof(*a));
    if (id && id[0]) {
        a->present |= FW_ACK_ID_BIT;
        memcpy(a->id, id, sizeof(a->id));
    }
    a->ok = diag == NULL || diag->err == FW_OK;
    if (!a->ok) {
        a->present |= FW_ACK_ERROR_BIT | FW_ACK_MESSAGE_BIT;
        a->error = (uint8_t)(-diag->err - 1);
        fw_diag_message(diag, a->message, sizeof(a->message));
    }
    report(dev, FW_KIND_ACK, &m);
}

void fw_device_on_connect(fw_device_t *dev, const fw_port_t *port)
{
    dev->connected = true;
    fw_msg_t m;
    memset(&m.presence, 0, sizeof(m.presence));
    m.presence.present = FW_PRESENCE_HEARTBEAT_BIT | FW_PRESENCE_FW_BIT;
    m.presence.boot = dev->boot;
    m.presence.seq = ++dev->seq;
    m.presence.status = FW_PRESENCE_ONLINE;
    m.presence.heartbeat_s = dev->heartbeat_s;
    memcpy(m.presence.fw, FW_VERSION, sizeof(FW_VERSION));
    send_now(dev, port, FW_KIND_PRESENCE, &m, 1, true, &dev->presence_mid);
    fw_outbox_requeue(&dev->outbox);
    report_state(dev);
    flush(dev, port);
}

void fw_device_on_disconnect(fw_device_t *dev)
{
    dev->connected = false;
    fw_outbox_requeue(&dev->outbox);
}

void fw_device_on_published(fw_device_t *dev, int32_t mid)
{
    /* Ports may also report qos 0 publishes as sent; only count real acknowledgements. */
    if (fw_outbox_ack(&dev->outbox, mid)) {
        dev->stats.acked++;
    } else if (mid != 0 && mid == dev->presence_mid) {
        dev->stats.acked++;
        dev->presence_mid = 0;
    }
}

static bool seen(const fw_device_t *dev, const char *id)
{
    for (int i = 0; i < FW_RECENT_IDS; i++)
        if (strcmp(dev->recent[i].id, id) == 0)
            return true;
    return false;
}

static void remember(fw_device_t *dev, const char *id)
{
    memcpy(dev->recent[dev->recent_next].id, id, sizeof(dev->recent[0].id));
    dev->recent_next = (uint8_t)((dev->recent_next + 1) % FW_RECENT_IDS);
}

static void apply_outputs(fw_device_t *dev, const fw_port_t *port)
{
    if (dev->type == FW_TYPE_LIGHTBULB && port->set_light)
        port->set_light(port->ctx, dev->model.bulb.power, dev->model.bulb.brightness_pct,
                        dev->model.bulb.color_temp_k);
    if (dev->type == FW_TYPE_SOUSVIDE && port->set_heater)
        port->set_heater(port->ctx, dev->model.sv.relay);
}

fw_err_t fw_device_on_command(fw_device_t *dev, const fw_port_t *port, const char *payload, size_t len)
{
    dev->stats.commands++;
    fw_msg_t m;
    fw_diag_t diag;
    fw_err_t e = fw_decode(dev->type, FW_KIND_CMD, payload, len, &m, &diag);
    /* both command structs start with present and id */
    const char *id = (m.bulb_cmd.present & FW_BIT(0)) ? m.bulb_cmd.id : NULL;
    if (e != FW_OK) {
        dev->stats.rejected++;
        report_ack(dev, id, &diag);
        flush(dev, port);
        return e;
    }
    if (seen(dev, id)) {
        dev->stats.duplicates++;
        report_ack(dev, id, NULL);
        flush(dev, port);
        return FW_OK;
    }
    bool changed;
    bool report_cmd;
    if (dev->type == FW_TYPE_LIGHTBULB) {
        changed = bulb_apply(&dev->model.bulb, &m.bulb_cmd);
        report_cmd = m.bulb_cmd.cmd == FW_BULB_REPORT;
    } else {
        changed = sousvide_apply(&dev->model.sv, &m.sv_cmd);
        sousvide_step(&dev->model.sv, 0, NULL); /* let the thermostat see the new target now */
        report_cmd = m.sv_cmd.cmd == FW_SV_REPORT;
    }
    remember(dev, id);
    if (changed || report_cmd)
        report_state(dev);
    apply_outputs(dev, port);
    report_ack(dev, id, NULL);
    flush(dev, port);
    return FW_OK;
}

static void telemetry(fw_device_t *dev, const fw_port_t *port, uint32_t now)
{
    fw_msg_t m;
    uint32_t uptime = (now - dev->start_ms) / 1000u;
    if (dev->type == FW_TYPE_LIGHTBULB) {
        memset(&m.bulb_telemetry, 0, sizeof(m.bulb_telemetry));
        m.bulb_telemetry.uptime_s = uptime;
        m.bulb_telemetry.power_mw = bulb_power_mw(&dev->model.bulb);
    } else {
        memset(&m.sv_telemetry, 0, sizeof(m.sv_telemetry));
        m.sv_telemetry.uptime_s = uptime;
        int32_t w = sousvide_water_dc(&dev->model.sv);
        m.sv_telemetry.water_dc = w < -200 ? -200 : w > 1200 ? 1200 : w;
        m.sv_telemetry.heating = dev->model.sv.relay;
    }
    m.bulb_telemetry.boot = dev->boot;
    m.bulb_telemetry.seq = dev->seq + 1;
    if (send_now(dev, port, FW_KIND_TELEMETRY, &m, 0, false, NULL) == FW_OK) {
        dev->seq++;
        dev->stats.telemetry++;
    }
}

void fw_device_tick(fw_device_t *dev, const fw_port_t *port)
{
    uint32_t now = port->now_ms(port->ctx);
    uint32_t dt = now - dev->last_step_ms;
    dev->last_step_ms = now;
    if (dev->type == FW_TYPE_SOUSVIDE) {
        int32_t sensor = dev->model.sv.water_mc;
        bool relay = dev->model.sv.relay;
        if (port->read_water_temp) { /* a real sensor: on a failed read keep the last value, heater off */
            int32_t reading = 0;
            dev->model.sv.sensor_fault = !port->read_water_temp(port->ctx, &reading);
            if (!dev->model.sv.sensor_fault)
                sensor = reading;
        }
        if (sousvide_step(&dev->model.sv, dt * dev->sim_speed, port->read_water_temp ? &sensor : NULL))
            report_state(dev);
        if (relay != dev->model.sv.relay)
            apply_outputs(dev, port);
    }
    flush(dev, port); /* reports first, so seq order is also publish order */
    if (due(now, dev->next_telemetry_ms)) {
        if (dev->connected)
            telemetry(dev, port, now);
        dev->next_telemetry_ms += dev->telemetry_ms;
        if (due(now, dev->next_telemetry_ms)) /* fell behind (offline, stalled): do not burst */
            dev->next_telemetry_ms = now + dev->telemetry_ms;
    }
    flush(dev, port);
}

fw_err_t fw_device_goodbye(fw_device_t *dev, const fw_port_t *port)
{
    fw_msg_t m;
    memset(&m.presence, 0, sizeof(m.presence));
    m.presence.boot = dev->boot;
    m.presence.seq = ++dev->seq;
    m.presence.status = FW_PRESENCE_OFFLINE;
    return send_now(dev, port, FW_KIND_PRESENCE, &m, 1, true, &dev->presence_mid);
}
