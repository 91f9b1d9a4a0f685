/* test_esp8266_hw.c: the ESP8266 port's hardware layer on the host: its SDK-free arithmetic, and
 * its PWM and MQTT glue against fakes of the SDK's calls (fake_sdk/). */
#include "../ports/esp8266/main/hw.h"
#include "../ports/esp8266/main/light.h"
#include "../ports/esp8266/main/mqtt_port.h"
#include "check.h"
#include "fake_sdk.h"
#include "lwip/sockets.h"

static void light_duties_follow_brightness_and_colour(void)
{
    uint32_t w, c;
    hw_light_duties(false, 100, 4000, &w, &c);
    CHECK(w == 0 && c == 0);
    hw_light_duties(true, 100, 2700, &w, &c);
    CHECK(w == HW_PWM_PERIOD_US && c == 0);
    hw_light_duties(true, 100, 6500, &w, &c);
    CHECK(w == 0 && c == HW_PWM_PERIOD_US);
    hw_light_duties(true, 50, 4600, &w, &c);
    CHECK(w + c == HW_PWM_PERIOD_US / 2 && w == c);
    hw_light_duties(true, 0, 4600, &w, &c);
    CHECK(w == 0 && c == 0);
}

static void the_ntc_table_reads_temperatures_and_faults(void)
{
    int32_t mc = 0;
    CHECK(hw_ntc_to_mc(569, &mc) && mc == 20000);
    CHECK(hw_ntc_to_mc(270, &mc) && mc == 50000);
    CHECK(hw_ntc_to_mc(237, &mc) && mc > 54000 && mc < 56000);
    CHECK(hw_ntc_to_mc(40, &mc) && mc == 120000);
    CHECK(hw_ntc_to_mc(934, &mc) && mc == -20000);
    CHECK(!hw_ntc_to_mc(1023, &mc)); /* open probe */
    CHECK(!hw_ntc_to_mc(0, &mc));    /* shorted probe */
    int32_t last = -100000;
    bool rising = true;
    for (uint16_t adc = 934; adc >= 40; adc--) {
        CHECK(hw_ntc_to_mc(adc, &mc));
        rising = rising && mc >= last;
        last = mc;
    }
    CHECK(rising);
}

static void pwm_phases_are_set_before_the_first_start(void)
{
    fake_sdk_reset();
    CHECK(light_init(12, 14) == ESP_OK);
    CHECK(fake_sdk.pwm_calls == 3);
    CHECK_STR(fake_sdk.pwm_log[0], "init");
    CHECK_STR(fake_sdk.pwm_log[1], "phases");
    CHECK_STR(fake_sdk.pwm_log[2], "start");
    CHECK(fake_sdk.phases_set && fake_sdk.phases[0] == 0.0f && fake_sdk.phases[1] == 0.0f);

    CHECK(light_set(true, 50, 4000) == ESP_OK);
    CHECK(fake_sdk.pwm_calls == 5);
    CHECK_STR(fake_sdk.pwm_log[3], "duties");
    CHECK_STR(fake_sdk.pwm_log[4], "start");
}

static void pwm_errors_are_returned_and_stop_the_sequence(void)
{
    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 2; /* pwm_set_phases */
    CHECK(light_init(12, 14) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 2); /* never started with unset phases */

    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 1; /* pwm_init */
    CHECK(light_init(12, 14) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 1);

    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 1; /* pwm_set_duties */
    CHECK(light_set(true, 100, 2700) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 1);
}

/* One bulb on the ESP8266 MQTT glue; the three tasks are played in turn by the test. */
typedef struct {
    mqtt_port_t mp;
    fw_device_t dev;
    fw_port_t port;
    mqtt_port_event_t e;
} rig_t;

static uint32_t fake_now(void *ctx)
{
    (void)ctx;
    return 0;
}

static void rig_init(rig_t *r)
{
    fake_sdk_reset();
    memset(r, 0, sizeof(*r));
    CHECK(mqtt_port_init(&r->mp));
    r->mp.cmd_topic = "dapriot/lightbulb/bulb-1/cmd";
    r->port.now_ms = fake_now;
    r->port.publish = mqtt_port_publish;
    r->port.ctx = &r->mp;
    fw_device_config_t cfg = {FW_TYPE_LIGHTBULB, "bulb-1", 7, 0, 30, 0, 1};
    CHECK(fw_device_init(&r->dev, &cfg, &r->port) == FW_OK);
}

static void rig_free(rig_t *r)
{
    fake_queue_free(r->mp.tx);
    fake_queue_free(r->mp.events);
}

/* The MQTT task reports an event. */
static void mqtt_event(rig_t *r, esp_mqtt_event_id_t id, int msg_id)
{
    esp_mqtt_event_t ev = {.event_id = id, .msg_id = msg_id};
    mqtt_port_on_mqtt(&r->mp, &ev);
}

/* The app task handles what is queued for it. */
static void app_runs(rig_t *r)
{
    while (xQueueReceive(r->mp.events, &r->e, 0) == pdTRUE)
        mqtt_port_handle(&r->mp, &r->dev, &r->port, &r->e);
}

/* The send task passes everything queued to esp-mqtt. */
static void sender_runs(rig_t *r)
{
    while (fake_queue_count(r->mp.tx) > 0)
        mqtt_port_send_next(&r->mp, portMAX_DELAY);
}

/* esp-mqtt's ids of the QoS 1 publishes from `from` on, PUBACKed in reverse order. */
static void broker_acks(rig_t *r, int from)
{
    for (int i = fake_sdk.npubs - 1; i >= from; i--)
        if (fake_sdk.pubs[i].qos == 1)
            mqtt_event(r, MQTT_EVENT_PUBLISHED, fake_sdk.pubs[i].id);
}

static void publish_only_queues_and_never_waits(void)
{
    rig_t r;
    rig_init(&r);
    int32_t mid = 0;
    CHECK(mqtt_port_publish(&r.mp, "t", "{}", 2, 1, false, &mid) == FW_ERR_OFFLINE);

    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    CHECK(fake_sdk.subscribes == 1); /* in the MQTT task, not the app task */
    app_runs(&r);
    /* the core published presence and state through the port: queued, nothing passed to
     * esp-mqtt's blocking publish, no wait asked for */
    CHECK(r.dev.stats.published == 2);
    CHECK(fake_sdk.npubs == 0);
    CHECK(fake_queue_count(r.mp.tx) == 2);
    CHECK(fake_queue_last_send_wait(r.mp.tx) == 0);

    /* a full queue is refused at once */
    CHECK(mqtt_port_publish(&r.mp, "t", "{}", 2, 0, false, &mid) == FW_OK);
    CHECK(mqtt_port_publish(&r.mp, "t", "{}", 2, 0, false, &mid) == FW_OK);
    CHECK(mqtt_port_publish(&r.mp, "t", "{}", 2, 0, false, &mid) == FW_ERR_NO_SPACE);
    CHECK(fake_queue_last_send_wait(r.mp.tx) == 0);
    char big[FW_REPORT_MAX + 1] = {0};
    CHECK(mqtt_port_publish(&r.mp, "t", big, sizeof(big), 1, false, &mid) == FW_ERR_NO_SPACE);

    sender_runs(&r);
    CHECK(fake_sdk.npubs == 4);
    CHECK(fake_sdk.pubs[0].qos == 1 && fake_sdk.pubs[0].retain == 1); /* presence */
    CHECK(strstr(fake_sdk.pubs[1].topic, "/state") != NULL);
    CHECK(fake_sdk.pubs[1].len == (int)strlen(fake_sdk.pubs[1].payload));
    rig_free(&r);
}

static void pubacks_reach_the_core_in_either_order(void)
{
    rig_t r;
    rig_init(&r);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    app_runs(&r);
    CHECK(r.dev.outbox.count == 1); /* the state report, waiting for its PUBACK */
    sender_runs(&r);
    /* the PUBACKs are queued before the send task's reports of the ids */
    int sent_events = fake_queue_count(r.mp.events);
    CHECK(sent_events == 2);
    mqtt_port_event_t held[2];
    for (int i = 0; i < sent_events; i++)
        xQueueReceive(r.mp.events, &held[i], 0);
    broker_acks(&r, 0);
    app_runs(&r);
    CHECK(r.dev.stats.acked == 0);
    for (int i = 0; i < sent_events; i++)
        mqtt_port_handle(&r.mp, &r.dev, &r.port, &held[i]);
    CHECK(r.dev.stats.acked == 2);
    CHECK(r.dev.outbox.count == 0);
    CHECK(r.dev.presence_mid == 0);

    /* and in the usual order: a command's ack report */
    int from = fake_sdk.npubs;
    const char *cmd = "{\"id\":\"c1\",\"cmd\":\"set\",\"on\":true}";
    esp_mqtt_event_t data = {.event_id = MQTT_EVENT_DATA, .data = (char *)cmd, .data_len = (int)strlen(cmd),
                             .total_data_len = (int)strlen(cmd)};
    mqtt_port_on_mqtt(&r.mp, &data);
    app_runs(&r);
    CHECK(r.dev.stats.commands == 1);
    CHECK(r.dev.outbox.count > 0);
    sender_runs(&r);
    app_runs(&r);
    broker_acks(&r, from);
    app_runs(&r);
    CHECK(r.dev.outbox.count == 0);
    /* a PUBACK for an id nobody knows changes nothing */
    uint32_t acked = r.dev.stats.acked;
    mqtt_event(&r, MQTT_EVENT_PUBLISHED, 999);
    app_runs(&r);
    CHECK(r.dev.stats.acked == acked);
    rig_free(&r);
}

/* How often each QoS 1 report (same topic and payload: same boot and seq) went to esp-mqtt. */
static int times_sent(const fake_pub_t *p)
{
    int n = 0;
    for (int i = 0; i < fake_sdk.npubs && i < FAKE_PUB_MAX; i++)
        n += strcmp(fake_sdk.pubs[i].topic, p->topic) == 0 && strcmp(fake_sdk.pubs[i].payload, p->payload) == 0;
    return n;
}

static void a_report_is_sent_once_across_a_reconnect(void)
{
    rig_t r;
    rig_init(&r);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    app_runs(&r);
    /* the connection drops and comes back before the send task got to the queued reports */
    mqtt_event(&r, MQTT_EVENT_DISCONNECTED, 0);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    sender_runs(&r);
    CHECK(fake_sdk.npubs == 0); /* queued for the lost connection: dropped, the core re-sends */
    app_runs(&r);
    sender_runs(&r);
    app_runs(&r);
    CHECK(fake_sdk.npubs == 2);
    for (int i = 0; i < fake_sdk.npubs; i++)
        CHECK(times_sent(&fake_sdk.pubs[i]) == 1);
    broker_acks(&r, 0);
    app_runs(&r);
    CHECK(r.dev.outbox.count == 0);

    /* the core queued while the connection was already gone but it had not heard yet */
    int from = fake_sdk.npubs;
    mqtt_event(&r, MQTT_EVENT_DISCONNECTED, 0);
    const char *cmd = "{\"id\":\"c2\",\"cmd\":\"set\",\"on\":false}";
    mqtt_port_event_t e = {.kind = MQTT_PORT_EV_DATA, .len = (uint16_t)strlen(cmd)};
    memcpy(e.data, cmd, e.len);
    mqtt_port_handle(&r.mp, &r.dev, &r.port, &e); /* ahead of the queued DISCONNECTED */
    sender_runs(&r);
    CHECK(fake_sdk.npubs == from);
    app_runs(&r);
    CHECK(!r.mp.online && r.dev.outbox.count > 0);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    app_runs(&r);
    sender_runs(&r);
    app_runs(&r);
    for (int i = from; i < fake_sdk.npubs; i++)
        CHECK(times_sent(&fake_sdk.pubs[i]) == 1);
    broker_acks(&r, from);
    app_runs(&r);
    CHECK(r.dev.outbox.count == 0);
    rig_free(&r);
}

static void a_failed_send_is_left_to_the_core(void)
{
    rig_t r;
    rig_init(&r);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    app_runs(&r);
    fake_sdk.publish_fails = true; /* esp-mqtt aborts the connection */
    sender_runs(&r);
    CHECK(fake_queue_count(r.mp.events) == 0); /* nothing to map */
    fake_sdk.publish_fails = false;
    mqtt_event(&r, MQTT_EVENT_DISCONNECTED, 0);
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    app_runs(&r);
    sender_runs(&r);
    app_runs(&r);
    CHECK(fake_sdk.npubs == 2);
    broker_acks(&r, 0);
    app_runs(&r);
    CHECK(r.dev.outbox.count == 0);
    rig_free(&r);
}

static void the_mqtt_socket_sends_without_nagle(void)
{
    rig_t r;
    rig_init(&r);
    /* esp-mqtt's TCP socket, and a UDP socket (as SNTP or DNS could have) */
    fake_sdk.socket_type[3] = SOCK_STREAM;
    fake_sdk.socket_type[5] = SOCK_DGRAM;
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    CHECK(fake_sdk.nodelay[3]);
    CHECK(!fake_sdk.nodelay[5]);
    CHECK(fake_sdk.nodelay_at_subscribe == 1); /* before the first packet after CONNECT */
    /* a reconnect opens a new socket, with a new number */
    mqtt_event(&r, MQTT_EVENT_DISCONNECTED, 0);
    fake_sdk.socket_type[3] = 0;
    fake_sdk.nodelay[3] = false;
    fake_sdk.socket_type[4] = SOCK_STREAM;
    mqtt_event(&r, MQTT_EVENT_CONNECTED, 0);
    CHECK(fake_sdk.nodelay[4]);
    CHECK(!fake_sdk.nodelay[3] && !fake_sdk.nodelay[5]);
    rig_free(&r);
}

int main(void)
{
    RUN(light_duties_follow_brightness_and_colour);
    RUN(the_ntc_table_reads_temperatures_and_faults);
    RUN(pwm_phases_are_set_before_the_first_start);
    RUN(pwm_errors_are_returned_and_stop_the_sequence);
    RUN(publish_only_queues_and_never_waits);
    RUN(pubacks_reach_the_core_in_either_order);
    RUN(a_report_is_sent_once_across_a_reconnect);
    RUN(a_failed_send_is_left_to_the_core);
    RUN(the_mqtt_socket_sends_without_nagle);
    return check_summary();
}
