/* fake_sdk.c: host fakes of the ESP8266 RTOS SDK calls the port makes, recording them. */
#include "fake_sdk.h"

#include <stdlib.h>
#include <string.h>

#include "driver/pwm.h"
#include "lwip/sockets.h"
#include "mqtt_client.h"

fake_sdk_t fake_sdk;

void fake_sdk_reset(void)
{
    memset(&fake_sdk, 0, sizeof(fake_sdk));
    fake_sdk.next_id = 1;
}

static esp_err_t pwm_call(const char *name)
{
    if (fake_sdk.pwm_calls < FAKE_LOG_MAX)
        fake_sdk.pwm_log[fake_sdk.pwm_calls] = name;
    fake_sdk.pwm_calls++;
    return fake_sdk.pwm_calls == fake_sdk.pwm_fail_at ? ESP_FAIL : ESP_OK;
}

esp_err_t pwm_init(uint32_t period, uint32_t *duties, uint8_t channel_num, const uint32_t *pin_num)
{
    (void)period, (void)duties, (void)pin_num;
    if (channel_num != 2)
        return ESP_ERR_INVALID_ARG;
    /* the SDK's phases start as whatever its allocation held */
    fake_sdk.phases[0] = fake_sdk.phases[1] = 123.0f;
    fake_sdk.phases_set = false;
    return pwm_call("init");
}

esp_err_t pwm_set_phases(float *phases)
{
    memcpy(fake_sdk.phases, phases, sizeof(fake_sdk.phases));
    fake_sdk.phases_set = true;
    return pwm_call("phases");
}

esp_err_t pwm_set_duties(uint32_t *duties)
{
    (void)duties;
    return pwm_call("duties");
}

esp_err_t pwm_start(void)
{
    return pwm_call("start");
}

int esp_mqtt_client_publish(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain)
{
    (void)client;
    if (fake_sdk.publish_fails)
        return -1;
    int id = qos > 0 ? fake_sdk.next_id++ : 0;
    if (fake_sdk.npubs < FAKE_PUB_MAX) {
        fake_pub_t *p = &fake_sdk.pubs[fake_sdk.npubs];
        strncpy(p->topic, topic, sizeof(p->topic) - 1);
        if (len > 0 && (size_t)len < sizeof(p->payload))
            memcpy(p->payload, data, (size_t)len);
        p->len = len;
        p->qos = qos;
        p->retain = retain;
        p->id = id;
    }
    fake_sdk.npubs++;
    return id;
}

int esp_mqtt_client_subscribe(esp_mqtt_client_handle_t client, const char *topic, int qos)
{
    (void)client, (void)topic, (void)qos;
    fake_sdk.subscribes++;
    fake_sdk.nodelay_at_subscribe = 0;
    for (int i = 0; i < FAKE_SOCKETS; i++)
        fake_sdk.nodelay_at_subscribe += fake_sdk.nodelay[i];
    return fake_sdk.next_id++;
}

/* Like lwIP: -1 for a number that is not an open socket. */
static int fake_socket(int s)
{
    int i = s - LWIP_SOCKET_OFFSET;
    return i >= 0 && i < FAKE_SOCKETS && fake_sdk.socket_type[i] ? i : -1;
}

int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen)
{
    int i = fake_socket(s);
    if (i < 0 || level != SOL_SOCKET || optname != SO_TYPE || *optlen < sizeof(int))
        return -1;
    *(int *)optval = fake_sdk.socket_type[i];
    *optlen = sizeof(int);
    return 0;
}

int lwip_setsockopt(int s, int level, int optname, const void *optval, socklen_t optlen)
{
    int i = fake_socket(s);
    /* lwIP refuses TCP options on a socket that is not TCP */
    if (i < 0 || level != IPPROTO_TCP || optname != TCP_NODELAY || optlen < sizeof(int) ||
        fake_sdk.socket_type[i] != SOCK_STREAM)
        return -1;
    fake_sdk.nodelay[i] = *(const int *)optval != 0;
    return 0;
}

struct fake_queue {
    uint32_t length, size, head, count;
    TickType_t last_send_wait;
    unsigned char *items;
};

QueueHandle_t xQueueCreate(uint32_t length, uint32_t item_size)
{
    QueueHandle_t q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->length = length;
    q->size = item_size;
    q->items = calloc(length, item_size);
    return q;
}

void fake_queue_free(QueueHandle_t q)
{
    if (q)
        free(q->items);
    free(q);
}

BaseType_t xQueueSend(QueueHandle_t q, const void *item, TickType_t wait)
{
    q->last_send_wait = wait;
    if (wait > fake_sdk.send_wait_max)
        fake_sdk.send_wait_max = wait;
    if (q->count == q->length)
        return pdFALSE; /* a real queue would wait; the tests look at the wait asked for */
    memcpy(q->items + ((q->head + q->count) % q->length) * q->size, item, q->size);
    q->count++;
    return pdTRUE;
}

BaseType_t xQueueReceive(QueueHandle_t q, void *item, TickType_t wait)
{
    (void)wait;
    if (q->count == 0)
        return pdFALSE;
    memcpy(item, q->items + q->head * q->size, q->size);
    q->head = (q->head + 1) % q->length;
    q->count--;
    return pdTRUE;
}

TickType_t fake_queue_last_send_wait(QueueHandle_t q)
{
    return q->last_send_wait;
}

int fake_queue_count(QueueHandle_t q)
{
    return (int)q->count;
}
