#include "mqtt_port.h"

#include <string.h>

#include "lwip/sockets.h"

/* Set by CMakeLists.txt for esp-mqtt and for this file. Its outbox must drop a copy before its
 * 1000 ms re-send and before a reconnect could send what it queued offline. */
#if defined(CONFIG_OUTBOX_EXPIRED_TIMEOUT_MS)
_Static_assert(CONFIG_OUTBOX_EXPIRED_TIMEOUT_MS < 1000 && CONFIG_OUTBOX_EXPIRED_TIMEOUT_MS < MQTT_PORT_RECONNECT_MS,
               "esp-mqtt's outbox would re-send QoS 1 messages the core re-sends itself");
#elif defined(ESP_PLATFORM)
#error "CONFIG_OUTBOX_EXPIRED_TIMEOUT_MS is not set: see the project's CMakeLists.txt"
#endif

bool mqtt_port_init(mqtt_port_t *mp)
{
    mp->tx = xQueueCreate(MQTT_PORT_TX_DEPTH, sizeof(mqtt_port_msg_t));
    mp->events = xQueueCreate(MQTT_PORT_EVENT_DEPTH, sizeof(mqtt_port_event_t));
    mp->next_mid = 1;
    return mp->tx && mp->events;
}

fw_err_t mqtt_port_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                           int32_t *mid)
{
    mqtt_port_t *mp = ctx;
    mqtt_port_msg_t *m = &mp->staging;
    if (!mp->online)
        return FW_ERR_OFFLINE;
    size_t topic_len = strlen(topic);
    if (len > FW_REPORT_MAX || topic_len >= sizeof(m->topic))
        return FW_ERR_NO_SPACE;
    m->gen = mp->gen;
    m->mid = mp->next_mid;
    m->qos = qos;
    m->retain = retain;
    m->len = (uint16_t)len;
    memcpy(m->topic, topic, topic_len + 1);
    memcpy(m->payload, payload, len);
    m->payload[len] = '\0';
    if (xQueueSend(mp->tx, m, 0) != pdTRUE)
        return FW_ERR_NO_SPACE;
    *mid = mp->next_mid;
    mp->next_mid = mp->next_mid == INT32_MAX ? 1 : mp->next_mid + 1;
    return FW_OK;
}

void mqtt_port_send_next(mqtt_port_t *mp, TickType_t wait)
{
    mqtt_port_msg_t *m = &mp->sending;
    if (xQueueReceive(mp->tx, m, wait) != pdTRUE)
        return;
    /* Queued before the connection dropped: the core has put it back in its outbox and sends it
     * again once it sees the new connection, so sending this copy would deliver it twice. */
    if (m->gen != mp->link_gen)
        return;
    int id = esp_mqtt_client_publish(mp->client, m->topic, m->payload, m->len, m->qos, m->retain);
    /* A failed write aborts the connection; the core re-sends QoS 1 after the reconnect. */
    if (m->qos == 0 || id <= 0)
        return;
    mqtt_port_event_t *e = &mp->sent_ev;
    e->kind = MQTT_PORT_EV_SENT;
    e->gen = m->gen;
    e->mid = m->mid;
    e->msg_id = id;
    e->len = 0;
    /* Waits for room: dropped, the PUBACK could not be mapped to the core's id. Only this task waits. */
    xQueueSend(mp->events, e, portMAX_DELAY);
}

/* esp-mqtt's TCP transport (SDK v3.4) leaves Nagle's algorithm on and gives no access to its socket.
 * With it on, a report written while the previous one is still unacknowledged waits for that ACK,
 * which the broker delays (40 ms on Linux), so a state report right after an ack could lag by that
 * much. The device's only TCP socket is esp-mqtt's, so every stream socket lwIP has open gets
 * TCP_NODELAY; lwIP answers -1 for numbers that are not sockets. */
static void mqtt_port_disable_nagle(void)
{
    for (int s = LWIP_SOCKET_OFFSET; s < LWIP_SOCKET_OFFSET + MEMP_NUM_NETCONN; s++) {
        int type = 0;
        socklen_t len = sizeof(type);
        if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM) {
            int on = 1;
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        }
    }
}

void mqtt_port_on_mqtt(mqtt_port_t *mp, esp_mqtt_event_handle_t ev)
{
    mqtt_port_event_t *e = &mp->mqtt_ev;
    TickType_t wait = 0;
    e->msg_id = ev->msg_id;
    e->len = 0;
    switch (ev->event_id) {
    case MQTT_EVENT_CONNECTED:
        /* Before anything but CONNECT has been written on the new connection. */
        mqtt_port_disable_nagle();
        /* Here, in the MQTT task, which holds the client's lock anyway: from the app task the
         * call could wait for seconds. The subscription's own QoS 1 retry is esp-mqtt's. */
        esp_mqtt_client_subscribe(mp->client, mp->cmd_topic, 1);
        e->kind = MQTT_PORT_EV_CONNECTED;
        wait = portMAX_DELAY; /* the core must see every connect and disconnect */
        break;
    case MQTT_EVENT_DISCONNECTED:
        mp->link_gen++;
        e->kind = MQTT_PORT_EV_DISCONNECTED;
        wait = portMAX_DELAY;
        break;
    case MQTT_EVENT_PUBLISHED: e->kind = MQTT_PORT_EV_PUBACK; break;
    case MQTT_EVENT_DATA:
        /* A payload larger than the MQTT buffer arrives in pieces; only the first is passed on,
         * and the length it claims (over FW_PAYLOAD_MAX) makes the core ack it as too_large. */
        if (ev->current_data_offset != 0)
            return;
        e->kind = MQTT_PORT_EV_DATA;
        if (ev->total_data_len > FW_PAYLOAD_MAX || ev->data_len > FW_PAYLOAD_MAX) {
            e->len = FW_PAYLOAD_MAX + 1;
            memset(e->data, ' ', e->len);
        } else {
            e->len = (uint16_t)ev->data_len;
            memcpy(e->data, ev->data, e->len);
        }
        break;
    default: return;
    }
    /* A dropped command is re-sent by the platform; a dropped PUBACK means the core re-sends
     * that report after the next reconnect. */
    xQueueSend(mp->events, e, wait);
}

/* Removes and returns the mid paired with msg_id, or 0. */
static int32_t take_sent(mqtt_port_t *mp, int msg_id)
{
    for (uint8_t i = 0; i < mp->nsent; i++) {
        if (mp->sent[i].msg_id == msg_id) {
            int32_t mid = mp->sent[i].mid;
            mp->sent[i] = mp->sent[--mp->nsent];
            return mid;
        }
    }
    return 0;
}

static bool take_early(mqtt_port_t *mp, int msg_id)
{
    for (uint8_t i = 0; i < mp->nearly; i++) {
        if (mp->early[i] == msg_id) {
            mp->early[i] = mp->early[--mp->nearly];
            return true;
        }
    }
    return false;
}

/* When full, the oldest entry gives way: its PUBACK then goes unreported and the core re-sends
 * that report after the next reconnect. */
static void remember_sent(mqtt_port_t *mp, int32_t mid, int msg_id)
{
    if (mp->nsent == MQTT_PORT_TRACK)
        memmove(&mp->sent[0], &mp->sent[1], sizeof(mp->sent[0]) * --mp->nsent);
    mp->sent[mp->nsent++] = (mqtt_port_pair_t){mid, msg_id};
}

static void remember_early(mqtt_port_t *mp, int msg_id)
{
    if (mp->nearly == MQTT_PORT_TRACK)
        memmove(&mp->early[0], &mp->early[1], sizeof(mp->early[0]) * --mp->nearly);
    mp->early[mp->nearly++] = msg_id;
}

void mqtt_port_handle(mqtt_port_t *mp, fw_device_t *dev, const fw_port_t *port, const mqtt_port_event_t *e)
{
    switch (e->kind) {
    case MQTT_PORT_EV_CONNECTED:
        mp->online = true;
        fw_device_on_connect(dev, port);
        break;
    case MQTT_PORT_EV_DISCONNECTED:
        /* esp-mqtt's ids of the lost connection no longer mean anything to the core. */
        mp->gen++;
        mp->online = false;
        mp->nsent = mp->nearly = 0;
        fw_device_on_disconnect(dev);
        break;
    case MQTT_PORT_EV_SENT:
        if (e->gen != mp->gen)
            break;
        /* The PUBACK can come first: esp-mqtt releases its lock before publish returns. */
        if (take_early(mp, e->msg_id))
            fw_device_on_published(dev, e->mid);
        else
            remember_sent(mp, e->mid, e->msg_id);
        break;
    case MQTT_PORT_EV_PUBACK: {
        int32_t mid = take_sent(mp, e->msg_id);
        if (mid)
            fw_device_on_published(dev, mid);
        else
            remember_early(mp, e->msg_id);
        break;
    }
    case MQTT_PORT_EV_DATA: fw_device_on_command(dev, port, e->data, e->len); break;
    default: break;
    }
}
