/* hw.h: the ESP8266 port's hardware arithmetic, kept free of the SDK so it is host-tested and
 * size-checked: tunable-white PWM duties and the NTC water-temperature sensor. */
#ifndef DAPRIOT_HW_H
#define DAPRIOT_HW_H

#include <stdbool.h>
#include <stdint.h>

#define HW_PWM_PERIOD_US 1000u /* 1 kHz */

/* Duties (0..HW_PWM_PERIOD_US) of the warm (2700 K) and cold (6500 K) white channels for a bulb
 * state: the sum follows brightness, the mix follows colour temperature. */
void hw_light_duties(bool on, uint8_t brightness_pct, uint16_t color_temp_k, uint32_t *warm_us, uint32_t *cold_us);

/* Water temperature in milli-degC from a 10-bit ADC reading of a 10 kOhm NTC (B 3950) to ground
 * with 10 kOhm to the ADC's full scale. Returns false outside -20..120 degC, which is also what
 * an open or shorted probe reads. */
bool hw_ntc_to_mc(uint16_t adc, int32_t *milli_c);

#endif
