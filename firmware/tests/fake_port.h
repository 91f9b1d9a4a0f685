/* fake_port.h: a port with a hand-driven clock that records every publish. */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include "port.h"

#define FAKE_MAX 64

typedef struct {
    char topic[FW_TOPIC_MAX];
    char payload[FW_PAYLOAD_MAX + 1];
    uint8_t qos;
    bool retain;
    int32_t mid;
} fake_msg_t;

typedef struct {
    fw_port_t port;
    uint32_t now;
    bool offline;
    int32_t next_mid;
    int count;               /* publishes recorded (only the last FAKE_MAX are kept) */
    fake_msg_t msgs[FAKE_MAX];
    bool light_on, heater_on;
    int light_calls;
} fake_port_t;

void fake_port_init(fake_port_t *fake);
/* The n-th recorded publish (0-based), or NULL. */
const fake_msg_t *fake_msg(const fake_port_t *fake, int n);
/* The last publish whose topic ends with suffix ("/ack"), or NULL. */
const fake_msg_t *fake_last(const fake_port_t *fake, const char *suffix);
/* How many recorded publishes have a topic ending with suffix. */
int fake_count(const fake_port_t *fake, const char *suffix);

#endif
