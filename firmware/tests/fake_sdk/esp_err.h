/* Host fake of the ESP8266 RTOS SDK v3.4 (esp_err.h): only what the port uses. */
#ifndef FAKE_ESP_ERR_H
#define FAKE_ESP_ERR_H
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_INVALID_ARG 0x102
#endif
