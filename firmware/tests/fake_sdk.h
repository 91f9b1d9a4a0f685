/* fake_sdk.h: what the host fakes of the ESP8266 SDK (fake_sdk/) recorded. */
#ifndef FAKE_SDK_H
#define FAKE_SDK_H
#include <stdbool.h>
#include <stdint.h>
#include "freertos/queue.h"

#define FAKE_LOG_MAX 32
#define FAKE_PUB_MAX 64
#define FAKE_SOCKETS 10 /* MEMP_NUM_NETCONN of fake_sdk/lwip/sockets.h */

typedef struct {
    char topic[64];
    char payload[300];
    int len, qos, retain, id;
} fake_pub_t;

typedef struct {
    /* PWM: the calls in order ("init", "phases", "duties", "start"), and what they were given */
    const char *pwm_log[FAKE_LOG_MAX];
    int pwm_calls;
    float phases[2];
    bool phases_set;
    int pwm_fail_at; /* a call number (1-based) that returns ESP_FAIL; 0: none */
    /* MQTT */
    fake_pub_t pubs[FAKE_PUB_MAX];
    int npubs;
    int subscribes;
    int next_id;        /* esp-mqtt's next message id */
    bool publish_fails; /* esp_mqtt_client_publish returns -1 */
    /* lwIP sockets, by number from LWIP_SOCKET_OFFSET: 0 none, else SOCK_STREAM or SOCK_DGRAM */
    int socket_type[FAKE_SOCKETS];
    bool nodelay[FAKE_SOCKETS];     /* TCP_NODELAY set on it */
    int nodelay_at_subscribe;       /* how many sockets had TCP_NODELAY when the port subscribed */
    /* the longest wait any xQueueSend was asked for */
    TickType_t send_wait_max;
} fake_sdk_t;

extern fake_sdk_t fake_sdk;
void fake_sdk_reset(void);
TickType_t fake_queue_last_send_wait(QueueHandle_t q);
int fake_queue_count(QueueHandle_t q);
void fake_queue_free(QueueHandle_t q);

#endif
