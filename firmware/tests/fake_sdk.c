/* fake_sdk.c: host fakes of the ESP8266 RTOS SDK calls the port makes, recording them. */
#include "fake_sdk.h"

#include <string.h>

#include "driver/pwm.h"

fake_sdk_t fake_sdk;

void fake_sdk_reset(void)
{
    memset(&fake_sdk, 0, sizeof(fake_sdk));
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
