/* device.h: one device: identity, (boot, seq) stamping, presence and heartbeat, command
 * handling with idempotency by command id, the outbox, and its model (bulb or cooker).
 *
 * The port owns the connection and calls in: on_connect / on_disconnect / on_published /
 * on_command as MQTT events happen, and tick regularly (every 100 ms or so). Every call
 * returns quickly; nothing allocates. All messages go out through port->publish. */
#ifndef FW_DEVICE_H
#define FW_DEVICE_H

#include "bulb.h"
#include "codec.h"
#include "outbox.h"
#include "port.h"
#include "sousvide.h"

#define FW_RECENT_IDS 8 /* applied command ids remembered for idempotency */

typedef struct {
    fw_type_t type;
    const char *id;               /* copied; must be a valid device id */
    uint32_t boot;                /* >= 1, incremented by the port on every start */
    uint32_t telemetry_ms;        /* telemetry period; 0 = only the heartbeat */
    uint32_t heartbeat_s;         /* the longest silence; telemetry doubles as heartbeat */
    uint32_t first_telemetry_ms;  /* delay of the first telemetry (spreads a fleet's load) */
    uint16_t sim_speed;           /* thermal model time multiplier, 1 = real time */
} fw_device_config_t;

typedef struct {
    uint32_t published;   /* publishes the port accepted, all kinds */
    uint32_t telemetry;
    uint32_t acked;       /* PUBACKs received for reports and presence */
    uint32_t commands;    /* commands received */
    uint32_t rejected;    /* of those, answered with an error ack */
    uint32_t duplicates;  /* of those, re-sent ids acked without applying */
} fw_device_stats_t;

typedef struct {
    char id[FW_CMD_ID_MAX + 1];
} fw_recent_t;

typedef struct {
    fw_type_t type;
    char id[FW_DEVICE_ID_MAX + 1];
    bool connected;
    uint16_t sim_speed;
    uint32_t boot;
    uint32_t seq;              /* last used */
    uint32_t telemetry_ms;     /* effective period: min(telemetry, heartbeat) */
    uint32_t heartbeat_s;
    uint32_t start_ms;
    uint32_t last_step_ms;
    uint32_t next_telemetry_ms;
    int32_t presence_mid;      /* qos 1 presence in flight, 0 if none */
    uint8_t recent_next;
    fw_recent_t recent[FW_RECENT_IDS];
    fw_outbox_t outbox;
    fw_device_stats_t stats;
    union {
        bulb_t bulb;
        sousvide_t sv;
    } model;
} fw_device_t;

/* Returns FW_OK or FW_ERR_BAD_TOPIC for an invalid id or type. */
fw_err_t fw_device_init(fw_device_t *dev, const fw_device_config_t *cfg, const fw_port_t *port);

/* The last will to register when connecting: presence "offline", seq 0, to be published retained
 * with qos 1 by the broker. Buffers: topic >= FW_TOPIC_MAX, payload >= FW_REPORT_MAX. */
fw_err_t fw_device_will(const fw_device_t *dev, char *topic, size_t topic_cap, char *payload, size_t payload_cap,
                        size_t *payload_len);
/* The cmd topic to subscribe to (qos 1). */
fw_err_t fw_device_cmd_topic(const fw_device_t *dev, char *topic, size_t cap);

/* Connected (CONNACK accepted, cmd topic subscribed or being subscribed): publishes presence
 * "online" (retained), re-sends what the outbox holds and reports the current state. */
void fw_device_on_connect(fw_device_t *dev, const fw_port_t *port);
void fw_device_on_disconnect(fw_device_t *dev);
/* PUBACK for a qos 1 publish. */
void fw_device_on_published(fw_device_t *dev, int32_t mid);
/* A payload from the cmd topic. Always acks (unless the outbox is full) and never changes state
 * for an invalid command. Returns FW_OK if applied or a duplicate, else the error acked. */
fw_err_t fw_device_on_command(fw_device_t *dev, const fw_port_t *port, const char *payload, size_t len);
/* Advances the model, sends telemetry when due, flushes the outbox. */
void fw_device_tick(fw_device_t *dev, const fw_port_t *port);
/* Graceful shutdown: publishes presence "offline" (retained) before the port disconnects. */
fw_err_t fw_device_goodbye(fw_device_t *dev, const fw_port_t *port);

#endif
