/* light.h: the bulb's warm and cold white channels on the SDK's PWM driver. */
#ifndef DAPRIOT_LIGHT_H
#define DAPRIOT_LIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

/* Starts both channels dark. Returns the first error of the SDK's PWM calls. */
esp_err_t light_init(uint32_t warm_gpio, uint32_t cold_gpio);
/* Drives the channels for a bulb state (see hw_light_duties). */
esp_err_t light_set(bool on, uint8_t brightness_pct, uint16_t color_temp_k);

#endif
