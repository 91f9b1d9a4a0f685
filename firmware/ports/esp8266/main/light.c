#include "light.h"

#include "driver/pwm.h"
#include "hw.h"

esp_err_t light_init(uint32_t warm_gpio, uint32_t cold_gpio)
{
    uint32_t pins[2] = {warm_gpio, cold_gpio};
    uint32_t duties[2] = {0, 0};
    /* pwm_init leaves the channels' phases as whatever its allocation held, and pwm_start shifts
     * each channel's edges by its phase, so the phases are set (in phase: 0) before the first start,
     * in the order of the SDK's PWM example: init, phases, start. */
    float phases[2] = {0, 0};
    esp_err_t err = pwm_init(HW_PWM_PERIOD_US, duties, 2, pins);
    if (err == ESP_OK)
        err = pwm_set_phases(phases);
    if (err == ESP_OK)
        err = pwm_start();
    return err;
}

esp_err_t light_set(bool on, uint8_t brightness_pct, uint16_t color_temp_k)
{
    uint32_t duties[2];
    hw_light_duties(on, brightness_pct, color_temp_k, &duties[0], &duties[1]);
    esp_err_t err = pwm_set_duties(duties);
    /* new duties take effect only at the next pwm_start */
    return err == ESP_OK ? pwm_start() : err;
}
