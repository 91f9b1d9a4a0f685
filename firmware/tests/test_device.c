/* test_device.c: a whole device against a fake port: presence, stamping, commands,
 * idempotency, the outbox across reconnects, telemetry and heartbeat. */
#include "check.h"
#include "device.h"
#include "fake_port.h"

static void start(fw_device_t *dev, fake_port_t *fake, fw_type_t type, uint32_t telemetry_ms)
{
    fake_port_init(fake);
    fw_device_config_t cfg = {type, type == FW_TYPE_LIGHTBULB ? "bulb-1" : "cooker-1", 7, telemetry_ms, 30, 500, 1};
    CHECK(fw_device_init(dev, &cfg, &fake->port) == FW_OK);
}

static void cmd(fw_device_t *dev, fake_port_t *fake, const char *json)
{
    fw_device_on_command(dev, &fake->port, json, strlen(json));
}

/* The broker acknowledges everything published so far. */
static void puback_all(fw_device_t *dev, const fake_port_t *fake)
{
    for (int k = 0; k < fake->count; k++)
        if (fake_msg(fake, k))
            fw_device_on_published(dev, fake_msg(fake, k)->mid);
}

static fw_ack_t last_ack(const fake_port_t *fake)
{
    fw_msg_t m;
    memset(&m, 0, sizeof(m));
    const fake_msg_t *a = fake_last(fake, "/ack");
    CHECK(a && fw_decode(FW_TYPE_LIGHTBULB, FW_KIND_ACK, a->payload, strlen(a->payload), &m, NULL) == FW_OK);
    return m.ack;
}

static void connecting_announces_presence_then_state(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_LIGHTBULB, 0);
    fw_device_on_connect(&dev, &fake.port);
    CHECK(fake.count == 2);
    CHECK_STR(fake_msg(&fake, 0)->topic, "dapriot/lightbulb/bulb-1/presence");
    CHECK_STR(fake_msg(&fake, 0)->payload, "{\"boot\":7,\"seq\":1,\"status\":\"online\",\"heartbeatS\":30,\"fw\":\"" FW_VERSION "\"}");
    CHECK(fake_msg(&fake, 0)->retain && fake_msg(&fake, 0)->qos == 1);
    CHECK_STR(fake_msg(&fake, 1)->topic, "dapriot/lightbulb/bulb-1/state");
    CHECK_STR(fake_msg(&fake, 1)->payload, "{\"boot\":7,\"seq\":2,\"power\":false,\"brightnessPct\":100,\"colorTempK\":2700}");
    char topic[FW_TOPIC_MAX], will[FW_REPORT_MAX];
    size_t len;
    CHECK(fw_device_will(&dev, topic, sizeof(topic), will, sizeof(will), &len) == FW_OK);
    CHECK_STR(topic, "dapriot/lightbulb/bulb-1/presence");
    CHECK_STR(will, "{\"boot\":7,\"seq\":0,\"status\":\"offline\"}");
    CHECK(fw_device_cmd_topic(&dev, topic, sizeof(topic)) == FW_OK);
    CHECK_STR(topic, "dapriot/lightbulb/bulb-1/cmd");
    CHECK(fw_device_goodbye(&dev, &fake.port) == FW_OK);
    CHECK_STR(fake_last(&fake, "/presence")->payload, "{\"boot\":7,\"seq\":3,\"status\":\"offline\"}");
}

static void a_command_is_applied_reported_and_acked(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_LIGHTBULB, 0);
    fw_device_on_connect(&dev, &fake.port);
    cmd(&dev, &fake, "{\"id\":\"c-1\",\"cmd\":\"set\",\"power\":true,\"brightnessPct\":60}");
    CHECK(fake.count == 4);
    CHECK_STR(fake_msg(&fake, 2)->payload, "{\"boot\":7,\"seq\":3,\"power\":true,\"brightnessPct\":60,\"colorTempK\":2700}");
    CHECK_STR(fake_msg(&fake, 3)->payload, "{\"boot\":7,\"seq\":4,\"id\":\"c-1\",\"ok\":true}");
    CHECK(fake.light_on && fake.light_calls == 1);
}

static void a_resent_command_is_acked_again_but_applied_once(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_LIGHTBULB, 0);
    fw_device_on_connect(&dev, &fake.port);
    cmd(&dev, &fake, "{\"id\":\"t-1\",\"cmd\":\"toggle\"}");
    CHECK(dev.model.bulb.power);
    cmd(&dev, &fake, "{\"id\":\"t-1\",\"cmd\":\"toggle\"}");
    CHECK(dev.model.bulb.power);
    CHECK(fake_count(&fake, "/ack") == 2 && fake_count(&fake, "/state") == 2);
    fw_ack_t a = last_ack(&fake);
    CHECK(a.ok && strcmp(a.id, "t-1") == 0 && a.seq == 5);
    CHECK(dev.stats.duplicates == 1);
    /* after FW_RECENT_IDS other commands the id is forgotten and applies again */
    for (int i = 0; i < FW_RECENT_IDS; i++) {
        char c[64];
        snprintf(c, sizeof(c), "{\"id\":\"r-%d\",\"cmd\":\"report\"}", i);
        cmd(&dev, &fake, c);
    }
    cmd(&dev, &fake, "{\"id\":\"t-1\",\"cmd\":\"toggle\"}");
    CHECK(!dev.model.bulb.power);
}

static void a_malformed_command_is_rejected_without_touching_state(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_SOUSVIDE, 0);
    fw_device_on_connect(&dev, &fake.port);
    sousvide_t before = dev.model.sv;
    cmd(&dev, &fake, "{\"id\":\"p-1\",\"cmd\":\"startProgram\",\"targetTempC\":99.0,\"durationS\":60}");
    fw_ack_t a = last_ack(&fake);
    CHECK(!a.ok && strcmp(a.id, "p-1") == 0 && a.error == -FW_ERR_OUT_OF_RANGE - 1);
    CHECK_STR(a.message, "value out of range for targetTempC");
    cmd(&dev, &fake, "{\"id\":");
    a = last_ack(&fake);
    CHECK(!a.ok && !(a.present & FW_ACK_ID_BIT) && a.error == -FW_ERR_BAD_JSON - 1);
    char big[700];
    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"id\":\"p-2\",\"cmd\":\"report\"}", 26);
    fw_device_on_command(&dev, &fake.port, big, sizeof(big));
    a = last_ack(&fake);
    puback_all(&dev, &fake);
    CHECK(!a.ok && a.error == -FW_ERR_TOO_LARGE - 1);
    CHECK(memcmp(&before, &dev.model.sv, sizeof(before)) == 0);
    CHECK(fake_count(&fake, "/state") == 1);
    CHECK(dev.stats.rejected == 3 && dev.stats.commands == 3);
    /* a rejected id is not remembered: the corrected command with the same id applies */
    cmd(&dev, &fake, "{\"id\":\"p-1\",\"cmd\":\"startProgram\",\"targetTempC\":59.0,\"durationS\":60}");
    CHECK(last_ack(&fake).ok && dev.model.sv.program_active && dev.model.sv.target_dc == 590);
    CHECK(fake.heater_on);
}

static void unacknowledged_reports_survive_a_reconnect(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_LIGHTBULB, 0);
    fw_device_on_connect(&dev, &fake.port);
    fw_device_on_published(&dev, fake_msg(&fake, 1)->mid); /* initial state acked */
    cmd(&dev, &fake, "{\"id\":\"c-9\",\"cmd\":\"set\",\"colorTempK\":5000}");
    char state[FW_PAYLOAD_MAX + 1], ack[FW_PAYLOAD_MAX + 1];
    strcpy(state, fake_msg(&fake, 2)->payload);
    strcpy(ack, fake_msg(&fake, 3)->payload);
    CHECK(dev.outbox.count == 2);
    fw_device_on_disconnect(&dev);
    fake.offline = true;
    fw_device_tick(&dev, &fake.port);
    CHECK(fake.count == 4);
    fake.offline = false;
    fw_device_on_connect(&dev, &fake.port);
    /* presence, the ack exactly as first sent, then a fresh state that replaces the old one */
    CHECK(fake.count == 7);
    CHECK_STR(fake_msg(&fake, 5)->payload, ack);
    CHECK(strstr(fake_msg(&fake, 6)->payload, "\"seq\":6,\"power\":false,\"brightnessPct\":100,\"colorTempK\":5000") != NULL);
    CHECK(strstr(state, "\"seq\":3,") != NULL);
    for (int i = 5; i < 7; i++)
        fw_device_on_published(&dev, fake_msg(&fake, i)->mid);
    CHECK(dev.outbox.count == 0);
}

static void the_outbox_keeps_the_newest_state_and_bounds_itself(void)
{
    fw_outbox_t ob;
    fw_outbox_init(&ob);
    CHECK(fw_outbox_put(&ob, FW_KIND_STATE, "s1", 2) == FW_OK);
    CHECK(fw_outbox_put(&ob, FW_KIND_ACK, "a1", 2) == FW_OK);
    CHECK(fw_outbox_put(&ob, FW_KIND_STATE, "s2", 2) == FW_OK);
    CHECK(ob.count == 2 && memcmp(ob.slots[1].payload, "s2", 2) == 0);
    for (int i = 0; i < FW_OUTBOX_SLOTS; i++)
        CHECK(fw_outbox_put(&ob, FW_KIND_ACK, "ax", 2) == FW_OK);
    CHECK(ob.count == FW_OUTBOX_SLOTS && ob.dropped == 2);
    for (int i = 0; i < FW_OUTBOX_SLOTS; i++) {
        fw_outbox_slot_t *s = fw_outbox_next(&ob);
        s->state = FW_SLOT_IN_FLIGHT;
        s->mid = 100 + i;
    }
    CHECK(fw_outbox_next(&ob) == NULL);
    CHECK(fw_outbox_ack(&ob, 101) && !fw_outbox_ack(&ob, 101));
    CHECK(fw_outbox_put(&ob, FW_KIND_ACK, "ay", 2) == FW_OK);
    /* full of messages in flight: the oldest one gives way */
    CHECK(fw_outbox_put(&ob, FW_KIND_ACK, "az", 2) == FW_OK);
    CHECK(ob.count == FW_OUTBOX_SLOTS && ob.dropped == 3 && ob.slots[0].mid == 102);
    CHECK(!fw_outbox_ack(&ob, 100));
    CHECK(fw_outbox_put(&ob, FW_KIND_ACK, "big", FW_REPORT_MAX + 1) == FW_ERR_NO_SPACE);
}

static void telemetry_follows_its_period_and_doubles_as_heartbeat(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_SOUSVIDE, 2000);
    fw_device_on_connect(&dev, &fake.port);
    for (int i = 0; i < 100; i++) { /* 10 s in 100 ms ticks; first one after 500 ms */
        fake.now += 100;
        fw_device_tick(&dev, &fake.port);
    }
    CHECK(fake_count(&fake, "/telemetry") == 5);
    const fake_msg_t *t = fake_last(&fake, "/telemetry");
    CHECK(t->qos == 0 && !t->retain);
    fw_msg_t m;
    CHECK(fw_decode(FW_TYPE_SOUSVIDE, FW_KIND_TELEMETRY, t->payload, strlen(t->payload), &m, NULL) == FW_OK);
    CHECK(m.sv_telemetry.water_dc == 200 && m.sv_telemetry.uptime_s == 8 && m.sv_telemetry.seq == 7);

    /* no telemetry period: one message per heartbeat */
    start(&dev, &fake, FW_TYPE_LIGHTBULB, 0);
    fw_device_on_connect(&dev, &fake.port);
    for (int i = 0; i < 95; i++) {
        fake.now += 1000;
        fw_device_tick(&dev, &fake.port);
    }
    CHECK(fake_count(&fake, "/telemetry") == 4); /* at 0.5, 30.5, 60.5, 90.5 s */
}

static void seq_grows_across_every_topic(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_SOUSVIDE, 1000);
    fw_device_on_connect(&dev, &fake.port);
    cmd(&dev, &fake, "{\"id\":\"p\",\"cmd\":\"startProgram\",\"targetTempC\":30.0,\"durationS\":1}");
    for (int i = 0; i < 600; i++) {
        fake.now += 1000;
        fw_device_tick(&dev, &fake.port);
        for (int k = 0; k < fake.count; k++)
            if (fake_msg(&fake, k))
                fw_device_on_published(&dev, fake_msg(&fake, k)->mid);
    }
    CHECK(dev.model.sv.phase == FW_PHASE_DONE);
    uint32_t last = 0;
    bool grows = true;
    for (int k = fake.count - FAKE_MAX; k < fake.count; k++) {
        const char *s = strstr(fake_msg(&fake, k)->payload, "\"seq\":");
        uint32_t seq = (uint32_t)strtoul(s + 6, NULL, 10);
        grows = grows && seq > last;
        last = seq;
    }
    CHECK(grows);
}

static void reports_go_out_before_the_telemetry_that_follows_them(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_SOUSVIDE, 1000);
    dev.sim_speed = 600;
    fw_device_on_connect(&dev, &fake.port);
    cmd(&dev, &fake, "{\"id\":\"p\",\"cmd\":\"startProgram\",\"targetTempC\":30.0,\"durationS\":60}");
    for (int i = 0; i < 30; i++) {
        fake.now += 100;
        fw_device_tick(&dev, &fake.port);
    }
    CHECK(dev.model.sv.phase == FW_PHASE_DONE);
    uint32_t last = 0;
    bool in_order = true;
    for (int k = 0; k < fake.count && k < FAKE_MAX; k++) {
        uint32_t seq = (uint32_t)strtoul(strstr(fake_msg(&fake, k)->payload, "\"seq\":") + 6, NULL, 10);
        in_order = in_order && seq == last + 1;
        last = seq;
    }
    CHECK(in_order);
}

static bool sensor_ok;
static int32_t sensor_mc;
static bool read_sensor(void *ctx, int32_t *mc)
{
    (void)ctx;
    *mc = sensor_mc;
    return sensor_ok;
}

static void a_failed_sensor_keeps_the_heater_off(void)
{
    fw_device_t dev;
    fake_port_t fake;
    start(&dev, &fake, FW_TYPE_SOUSVIDE, 1000);
    fake.port.read_water_temp = read_sensor;
    fw_device_on_connect(&dev, &fake.port);
    sensor_ok = true;
    sensor_mc = 30000;
    cmd(&dev, &fake, "{\"id\":\"h\",\"cmd\":\"set\",\"heater\":true,\"targetTempC\":50.0}");
    fake.now += 100;
    fw_device_tick(&dev, &fake.port);
    CHECK(fake.heater_on && dev.model.sv.water_mc == 30000);
    sensor_ok = false;
    sensor_mc = 0;
    fake.now += 100;
    fw_device_tick(&dev, &fake.port);
    CHECK(!fake.heater_on && dev.model.sv.water_mc == 30000);
    sensor_ok = true;
    sensor_mc = 31000;
    fake.now += 100;
    fw_device_tick(&dev, &fake.port);
    CHECK(fake.heater_on && dev.model.sv.water_mc == 31000);
}

int main(void)
{
    RUN(connecting_announces_presence_then_state);
    RUN(a_command_is_applied_reported_and_acked);
    RUN(a_resent_command_is_acked_again_but_applied_once);
    RUN(a_malformed_command_is_rejected_without_touching_state);
    RUN(unacknowledged_reports_survive_a_reconnect);
    RUN(the_outbox_keeps_the_newest_state_and_bounds_itself);
    RUN(telemetry_follows_its_period_and_doubles_as_heartbeat);
    RUN(seq_grows_across_every_topic);
    RUN(a_failed_sensor_keeps_the_heater_off);
    RUN(reports_go_out_before_the_telemetry_that_follows_them);
    return check_summary();
}
