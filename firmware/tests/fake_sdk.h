/* fake_sdk.h: what the host fakes of the ESP8266 SDK (fake_sdk/) recorded. */
#ifndef FAKE_SDK_H
#define FAKE_SDK_H
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"

#define FAKE_LOG_MAX 32

typedef struct {
    /* PWM: the calls in order ("init", "phases", "duties", "start"), and what they were given */
    const char *pwm_log[FAKE_LOG_MAX];
    int pwm_calls;
    float phases[2];
    bool phases_set;
    int pwm_fail_at; /* a call number (1-based) that returns ESP_FAIL; 0: none */
} fake_sdk_t;

extern fake_sdk_t fake_sdk;
void fake_sdk_reset(void);

#endif
