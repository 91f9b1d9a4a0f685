/* Host fake of FreeRTOS as the ESP8266 RTOS SDK v3.4 has it: only what the port uses. */
#ifndef FAKE_FREERTOS_H
#define FAKE_FREERTOS_H
#include <stdint.h>
typedef uint32_t TickType_t;
typedef long BaseType_t;
#define pdTRUE 1
#define pdFALSE 0
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#endif
