/* mqtt_port.h: the core's MQTT publish on esp-mqtt (ESP8266 RTOS SDK v3.4), without blocking the
 * core and without a second layer of QoS 1 re-sends.
 *
 * The core owns QoS 1 re-sending (its outbox re-sends state/ack unchanged after a reconnect).
 * esp-mqtt v3.4 has no non-blocking publish: esp_mqtt_client_publish waits for the client's lock,
 * which its own task holds while it connects (TCP connect and CONNACK, network_timeout_ms each),
 * and then writes with network_timeout_ms. So the core's publish only copies the message into a
 * queue (mqtt_port_publish, never waits) and a send task of the port makes the blocking call
 * (mqtt_port_send_next). The message id the core gets is the port's own; the send task reports
 * which esp-mqtt id it became, and the PUBACK for that id (MQTT_EVENT_PUBLISHED) is mapped back,
 * in whichever order the two arrive.
 *
 * esp-mqtt also keeps every QoS 1 publish in its own outbox and re-sends it, while connected,
 * when unacknowledged for 1 s and, after a reconnect, when it was queued while offline. The
 * project's CMakeLists.txt expires that outbox after CONFIG_OUTBOX_EXPIRED_TIMEOUT_MS (900 ms),
 * before either can happen (the reconnect delay is longer), so esp-mqtt never sends a message a
 * second time.
 * A PUBACK arriving later than that is not reported by esp-mqtt; the core then sends that report
 * again after the next reconnect, as for a PUBACK lost with a connection.
 *
 * Messages the core queued before a connection dropped are not sent on the next connection
 * (the core sends them again itself). What cannot be excluded with this SDK: the one message the
 * send task is already passing to esp_mqtt_client_publish when the connection drops may still
 * go out on the next connection, once, carrying the same (boot, seq) the platform drops as a
 * duplicate. */
#ifndef DAPRIOT_MQTT_PORT_H
#define DAPRIOT_MQTT_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "mqtt_client.h"

#include "device.h"

/* esp-mqtt's reconnect delay (reconnect_timeout_ms): longer than its outbox expiry, so nothing
 * it queued while offline survives to be sent after the reconnect. */
#define MQTT_PORT_RECONNECT_MS 5000
#define MQTT_PORT_TX_DEPTH 4     /* publishes waiting for the send task */
#define MQTT_PORT_EVENT_DEPTH 6  /* events waiting for the app task */
#define MQTT_PORT_TRACK 8        /* ids of sent QoS 1 publishes, and of PUBACKs ahead of them */

typedef enum {
    MQTT_PORT_EV_CONNECTED = 1,
    MQTT_PORT_EV_DISCONNECTED,
    MQTT_PORT_EV_PUBACK,  /* msg_id: esp-mqtt's id */
    MQTT_PORT_EV_SENT,    /* mid (the core's) went out as msg_id; gen: the connection it was for */
    MQTT_PORT_EV_DATA,    /* a command payload */
} mqtt_port_ev_t;

typedef struct {
    uint8_t kind; /* mqtt_port_ev_t */
    uint32_t gen;
    int msg_id;
    int32_t mid;
    uint16_t len;
    char data[FW_PAYLOAD_MAX + 1];
} mqtt_port_event_t;

typedef struct {
    uint32_t gen; /* the connection the core published it for */
    int32_t mid;
    uint8_t qos;
    bool retain;
    uint16_t len;
    char topic[FW_TOPIC_MAX];
    char payload[FW_REPORT_MAX + 1]; /* NUL-terminated: esp-mqtt takes len 0 as "use strlen" */
} mqtt_port_msg_t;

typedef struct {
    int32_t mid;
    int msg_id;
} mqtt_port_pair_t;

typedef struct {
    esp_mqtt_client_handle_t client;
    const char *cmd_topic;
    QueueHandle_t tx;     /* app task -> send task */
    QueueHandle_t events; /* MQTT task, send task -> app task */
    /* Connections lost so far, counted by the MQTT task as they happen; the send task drops what
     * was queued for an earlier connection. A 32-bit aligned word: one load or store. */
    volatile uint32_t link_gen;
    /* Owned by the app task: */
    uint32_t gen; /* connections lost as the app task (and so the core) has seen them */
    bool online;
    int32_t next_mid;
    uint8_t nsent, nearly;
    mqtt_port_pair_t sent[MQTT_PORT_TRACK]; /* sent, PUBACK not yet seen */
    int early[MQTT_PORT_TRACK];             /* PUBACKs seen before their SENT */
    mqtt_port_msg_t staging;                /* app task */
    mqtt_port_msg_t sending;                /* send task */
    mqtt_port_event_t sent_ev;              /* send task */
    mqtt_port_event_t mqtt_ev;              /* MQTT task */
} mqtt_port_t;

/* Creates the queues. client and cmd_topic are set by the caller before the client starts.
 * Returns false when out of memory. */
bool mqtt_port_init(mqtt_port_t *mp);
/* fw_port_t.publish, ctx = mqtt_port_t: copies into the send queue and returns, never waits.
 * FW_ERR_OFFLINE while not connected, FW_ERR_NO_SPACE when the queue is full or the message
 * too large. */
fw_err_t mqtt_port_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                           int32_t *mid);
/* Send task: waits up to `wait` for one message and passes it to esp_mqtt_client_publish. */
void mqtt_port_send_next(mqtt_port_t *mp, TickType_t wait);
/* esp-mqtt's event handler (runs in the MQTT task): subscribes on connect, queues the event. */
void mqtt_port_on_mqtt(mqtt_port_t *mp, esp_mqtt_event_handle_t ev);
/* App task: one queued event into the core. */
void mqtt_port_handle(mqtt_port_t *mp, fw_device_t *dev, const fw_port_t *port, const mqtt_port_event_t *e);

#endif
