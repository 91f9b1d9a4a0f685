/* Host fake of the ESP8266 RTOS SDK v3.4 PWM driver (driver/pwm.h): the calls the port makes,
 * with the SDK's signatures. fake_sdk.c records their order. */
#ifndef FAKE_DRIVER_PWM_H
#define FAKE_DRIVER_PWM_H
#include <stdint.h>
#include "esp_err.h"
esp_err_t pwm_init(uint32_t period, uint32_t *duties, uint8_t channel_num, const uint32_t *pin_num);
esp_err_t pwm_set_phases(float *phases);
esp_err_t pwm_set_duties(uint32_t *duties);
esp_err_t pwm_start(void);
#endif
