/* app_main.c: the DaprIoT device on an ESP8266 (ESP8266 RTOS SDK v3.4).
 *
 * Wi-Fi station -> MQTT (esp-mqtt) -> the portable core. A light bulb drives two PWM channels
 * (warm and cold white); a sous-vide cooker drives a heater relay and reads an NTC probe on A0.
 * The boot counter lives in NVS and grows on every start. Only the app task touches the core:
 * the MQTT task just queues its events, so no lock is held across an esp-mqtt call. Settings:
 * `idf.py menuconfig`, "DaprIoT device". */
#include <stdio.h>
#include <string.h>

#include "driver/adc.h"
#include "driver/gpio.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "mqtt_client.h"
#include "nvs_flash.h"
#include "tcpip_adapter.h"

#include "device.h"
#include "hw.h"
#include "light.h"

static const char *TAG = "dapriot";

#ifdef CONFIG_DAPRIOT_TYPE_SOUSVIDE
#define DEVICE_TYPE FW_TYPE_SOUSVIDE
#define ID_PREFIX   "cooker-"
#else
#define DEVICE_TYPE FW_TYPE_LIGHTBULB
#define ID_PREFIX   "bulb-"
#endif

#define TICK_MS 100

/* An MQTT event, copied out of the MQTT task for the app task. */
typedef struct {
    esp_mqtt_event_id_t id;
    int msg_id;
    uint16_t len;
    char data[FW_PAYLOAD_MAX + 1];
} app_event_t;

/* The port's own state: one device per chip. */
static struct {
    fw_device_t dev;
    fw_port_t port;
    esp_mqtt_client_handle_t mqtt;
    QueueHandle_t events;
    char id[FW_DEVICE_ID_MAX + 1];
    char will_topic[FW_TOPIC_MAX];
    char will[FW_REPORT_MAX];
    size_t will_len;
    char cmd_topic[FW_TOPIC_MAX];
} app;

static uint32_t port_now(void *ctx)
{
    (void)ctx;
    return (uint32_t)(esp_timer_get_time() / 1000);
}

static fw_err_t port_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                             int32_t *mid)
{
    (void)ctx;
    int id = esp_mqtt_client_publish(app.mqtt, topic, payload, (int)len, qos, retain);
    if (id < 0)
        return FW_ERR_OFFLINE;
    *mid = id;
    return FW_OK;
}

static void port_set_light(void *ctx, bool on, uint8_t brightness_pct, uint16_t color_temp_k)
{
    (void)ctx;
    esp_err_t err = light_set(on, brightness_pct, color_temp_k);
    if (err != ESP_OK)
        ESP_LOGE(TAG, "PWM: %s", esp_err_to_name(err));
}

static void port_set_heater(void *ctx, bool on)
{
    (void)ctx;
    gpio_set_level(CONFIG_DAPRIOT_RELAY_GPIO, on ? 1 : 0);
}

static bool port_read_water(void *ctx, int32_t *milli_c)
{
    (void)ctx;
    uint16_t raw = 0;
    if (adc_read(&raw) != ESP_OK)
        return false;
    return hw_ntc_to_mc(raw, milli_c);
}

static uint32_t next_boot(void)
{
    nvs_handle nvs;
    uint32_t boot = 0;
    if (nvs_open("dapriot", NVS_READWRITE, &nvs) != ESP_OK)
        return 1;
    nvs_get_u32(nvs, "boot", &boot);
    boot = boot == UINT32_MAX ? 1 : boot + 1;
    nvs_set_u32(nvs, "boot", boot);
    nvs_commit(nvs);
    nvs_close(nvs);
    return boot;
}

/* Runs in the MQTT task: copy, queue, return. A full queue drops the event; the platform re-sends
 * an unacknowledged command and a lost PUBACK only means a re-send after the next reconnect. */
static esp_err_t on_mqtt(esp_mqtt_event_handle_t ev)
{
    app_event_t e = {.id = ev->event_id, .msg_id = ev->msg_id, .len = 0};
    switch (ev->event_id) {
    case MQTT_EVENT_CONNECTED:
    case MQTT_EVENT_DISCONNECTED:
    case MQTT_EVENT_PUBLISHED:
        break;
    case MQTT_EVENT_DATA:
        /* A payload larger than the MQTT buffer arrives in pieces; only the first is passed on,
         * and the length it claims (over FW_PAYLOAD_MAX) makes the core ack it as too_large. */
        if (ev->current_data_offset != 0)
            return ESP_OK;
        if (ev->total_data_len > FW_PAYLOAD_MAX) {
            e.len = FW_PAYLOAD_MAX + 1;
            memset(e.data, ' ', e.len);
        } else {
            e.len = (uint16_t)ev->data_len;
            memcpy(e.data, ev->data, e.len);
        }
        break;
    default: return ESP_OK;
    }
    xQueueSend(app.events, &e, 0);
    return ESP_OK;
}

static void handle(const app_event_t *e)
{
    switch (e->id) {
    case MQTT_EVENT_CONNECTED:
        esp_mqtt_client_subscribe(app.mqtt, app.cmd_topic, 1);
        fw_device_on_connect(&app.dev, &app.port);
        ESP_LOGI(TAG, "%s online", app.id);
        break;
    case MQTT_EVENT_DISCONNECTED:
        fw_device_on_disconnect(&app.dev);
        ESP_LOGW(TAG, "broker connection lost; esp-mqtt reconnects");
        break;
    case MQTT_EVENT_PUBLISHED: fw_device_on_published(&app.dev, e->msg_id); break;
    case MQTT_EVENT_DATA: fw_device_on_command(&app.dev, &app.port, e->data, e->len); break;
    default: break;
    }
}

static void app_task(void *arg)
{
    (void)arg;
    static app_event_t e; /* one event in flight; kept off the task stack */
    uint32_t next_tick = port_now(NULL);
    for (;;) {
        uint32_t now = port_now(NULL);
        int32_t wait = (int32_t)(next_tick - now);
        if (wait > 0 && xQueueReceive(app.events, &e, pdMS_TO_TICKS(wait)) == pdTRUE) {
            handle(&e);
            continue;
        }
        fw_device_tick(&app.dev, &app.port);
        next_tick = port_now(NULL) + TICK_MS;
    }
}

static void start_mqtt(void)
{
    esp_mqtt_client_config_t cfg = {
        .uri = CONFIG_DAPRIOT_BROKER_URI,
        .client_id = app.id,
        .username = app.id,
        .password = CONFIG_DAPRIOT_MQTT_PASSWORD,
        .lwt_topic = app.will_topic,
        .lwt_msg = app.will,
        .lwt_msg_len = (int)app.will_len,
        .lwt_qos = 1,
        .lwt_retain = 1,
        .keepalive = 60,
        .buffer_size = 1024,
        .event_handle = on_mqtt,
    };
    app.mqtt = esp_mqtt_client_init(&cfg);
    esp_mqtt_client_start(app.mqtt);
}

static void on_wifi(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)data;
    if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
        esp_wifi_connect(); /* the SDK retries with its own pacing */
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP && !app.mqtt) {
        start_mqtt();
    }
}

static void start_wifi(void)
{
    tcpip_adapter_init();
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    ESP_ERROR_CHECK(esp_wifi_init(&init));
    ESP_ERROR_CHECK(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi, NULL));
    ESP_ERROR_CHECK(esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_wifi, NULL));
    wifi_config_t sta = {0};
    strncpy((char *)sta.sta.ssid, CONFIG_DAPRIOT_WIFI_SSID, sizeof(sta.sta.ssid));
    strncpy((char *)sta.sta.password, CONFIG_DAPRIOT_WIFI_PASSWORD, sizeof(sta.sta.password));
    ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
    ESP_ERROR_CHECK(esp_wifi_set_config(ESP_IF_WIFI_STA, &sta));
    ESP_ERROR_CHECK(esp_wifi_start());
}

static void start_hardware(void)
{
    if (DEVICE_TYPE == FW_TYPE_LIGHTBULB) {
        ESP_ERROR_CHECK(light_init(CONFIG_DAPRIOT_PWM_WARM_GPIO, CONFIG_DAPRIOT_PWM_COLD_GPIO));
        app.port.set_light = port_set_light;
    } else {
        gpio_config_t relay = {.pin_bit_mask = 1ULL << CONFIG_DAPRIOT_RELAY_GPIO, .mode = GPIO_MODE_OUTPUT};
        ESP_ERROR_CHECK(gpio_config(&relay));
        gpio_set_level(CONFIG_DAPRIOT_RELAY_GPIO, 0);
        adc_config_t adc = {.mode = ADC_READ_TOUT_MODE, .clk_div = 8};
        ESP_ERROR_CHECK(adc_init(&adc));
        app.port.set_heater = port_set_heater;
        app.port.read_water_temp = port_read_water;
    }
}

void app_main(void)
{
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);
    app.events = xQueueCreate(4, sizeof(app_event_t));
    if (CONFIG_DAPRIOT_DEVICE_ID[0]) {
        strncpy(app.id, CONFIG_DAPRIOT_DEVICE_ID, FW_DEVICE_ID_MAX);
    } else {
        uint8_t mac[6];
        esp_read_mac(mac, ESP_MAC_WIFI_STA);
        snprintf(app.id, sizeof(app.id), ID_PREFIX "%02x%02x%02x", mac[3], mac[4], mac[5]);
    }
    app.port.now_ms = port_now;
    app.port.publish = port_publish;
    start_hardware();
    fw_device_config_t cfg = {DEVICE_TYPE, app.id, next_boot(), CONFIG_DAPRIOT_TELEMETRY_MS, CONFIG_DAPRIOT_HEARTBEAT_S,
                              0, 1};
    if (fw_device_init(&app.dev, &cfg, &app.port) != FW_OK) {
        ESP_LOGE(TAG, "invalid device id '%s': set 1-32 characters of A-Z a-z 0-9 _ - in menuconfig", app.id);
        return;
    }
    fw_device_will(&app.dev, app.will_topic, sizeof(app.will_topic), app.will, sizeof(app.will), &app.will_len);
    fw_device_cmd_topic(&app.dev, app.cmd_topic, sizeof(app.cmd_topic));
    ESP_LOGI(TAG, "%s %s, boot %u", fw_type_name(DEVICE_TYPE), app.id, (unsigned)app.dev.boot);
    xTaskCreate(app_task, "dapriot", 4096, NULL, 5, NULL);
    start_wifi();
}
