/* app_main.c: the DaprIoT device on an ESP8266 (ESP8266 RTOS SDK v3.4).
 *
 * Wi-Fi station -> MQTT (esp-mqtt) -> the portable core. A light bulb drives two PWM channels
 * (warm and cold white); a sous-vide cooker drives a heater relay and reads an NTC probe on A0.
 * The boot counter lives in NVS and grows on every start. Only the app task touches the core,
 * and it never calls esp-mqtt: the MQTT task queues its events for it, and a send task makes the
 * blocking publish calls (mqtt_port.h). Settings: `idf.py menuconfig`, "DaprIoT device". */
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
#include "mqtt_port.h"

static const char *TAG = "dapriot";

#ifdef CONFIG_DAPRIOT_TYPE_SOUSVIDE
#define DEVICE_TYPE FW_TYPE_SOUSVIDE
#define ID_PREFIX   "cooker-"
#else
#define DEVICE_TYPE FW_TYPE_LIGHTBULB
#define ID_PREFIX   "bulb-"
#endif

#define TICK_MS 100

/* The port's own state: one device per chip. */
static struct {
    fw_device_t dev;
    fw_port_t port;
    mqtt_port_t mqtt;
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

/* Runs in the MQTT task. */
static esp_err_t on_mqtt(esp_mqtt_event_handle_t ev)
{
    mqtt_port_on_mqtt(&app.mqtt, ev);
    return ESP_OK;
}

static void app_task(void *arg)
{
    (void)arg;
    static mqtt_port_event_t e; /* one event in flight; kept off the task stack */
    uint32_t next_tick = port_now(NULL);
    for (;;) {
        uint32_t now = port_now(NULL);
        int32_t wait = (int32_t)(next_tick - now);
        if (wait > 0 && xQueueReceive(app.mqtt.events, &e, pdMS_TO_TICKS(wait)) == pdTRUE) {
            mqtt_port_handle(&app.mqtt, &app.dev, &app.port, &e);
            if (e.kind == MQTT_PORT_EV_CONNECTED)
                ESP_LOGI(TAG, "%s online", app.id);
            else if (e.kind == MQTT_PORT_EV_DISCONNECTED)
                ESP_LOGW(TAG, "broker connection lost; esp-mqtt reconnects");
            continue;
        }
        fw_device_tick(&app.dev, &app.port);
        next_tick = port_now(NULL) + TICK_MS;
    }
}

/* Waits on the network for as long as esp-mqtt makes it, so that the app task never does. */
static void send_task(void *arg)
{
    (void)arg;
    for (;;)
        mqtt_port_send_next(&app.mqtt, portMAX_DELAY);
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
        .reconnect_timeout_ms = MQTT_PORT_RECONNECT_MS,
        .buffer_size = 1024,
        .event_handle = on_mqtt,
    };
    app.mqtt.client = esp_mqtt_client_init(&cfg);
    app.mqtt.cmd_topic = app.cmd_topic;
    esp_mqtt_client_start(app.mqtt.client);
}

static void on_wifi(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)data;
    if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
        esp_wifi_connect(); /* the SDK retries with its own pacing */
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP && !app.mqtt.client) {
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
    if (!mqtt_port_init(&app.mqtt)) {
        ESP_LOGE(TAG, "out of memory for the MQTT queues");
        return;
    }
    if (CONFIG_DAPRIOT_DEVICE_ID[0]) {
        strncpy(app.id, CONFIG_DAPRIOT_DEVICE_ID, FW_DEVICE_ID_MAX);
    } else {
        uint8_t mac[6];
        esp_read_mac(mac, ESP_MAC_WIFI_STA);
        snprintf(app.id, sizeof(app.id), ID_PREFIX "%02x%02x%02x", mac[3], mac[4], mac[5]);
    }
    app.port.now_ms = port_now;
    app.port.publish = mqtt_port_publish;
    app.port.ctx = &app.mqtt;
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
    xTaskCreate(send_task, "dapriot-tx", 4096, NULL, 5, NULL);
    start_wifi();
}
