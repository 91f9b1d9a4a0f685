#include "hw.h"

void hw_light_duties(bool on, uint8_t brightness_pct, uint16_t color_temp_k, uint32_t *warm_us, uint32_t *cold_us)
{
    if (!on || brightness_pct == 0) {
        *warm_us = *cold_us = 0;
        return;
    }
    if (brightness_pct > 100)
        brightness_pct = 100;
    if (color_temp_k < 2700)
        color_temp_k = 2700;
    if (color_temp_k > 6500)
        color_temp_k = 6500;
    uint32_t total = HW_PWM_PERIOD_US * brightness_pct / 100u;
    uint32_t cold_share = (uint32_t)(color_temp_k - 2700u) * 1000u / (6500u - 2700u); /* per mille */
    *cold_us = total * cold_share / 1000u;
    *warm_us = total - *cold_us;
}

/* ADC counts at -20, -10, ..., 120 degC (falling: the NTC's resistance drops as it warms). */
static const uint16_t NTC_ADC[] = {934, 873, 788, 684, 569, 456, 354, 270, 204, 153, 115, 87, 67, 51, 40};
#define NTC_POINTS (sizeof(NTC_ADC) / sizeof(NTC_ADC[0]))

bool hw_ntc_to_mc(uint16_t adc, int32_t *milli_c)
{
    if (adc > NTC_ADC[0] || adc < NTC_ADC[NTC_POINTS - 1])
        return false;
    unsigned i = 0;
    while (i + 1 < NTC_POINTS && adc < NTC_ADC[i + 1])
        i++;
    if (i + 1 == NTC_POINTS) {
        *milli_c = 120000;
        return true;
    }
    int32_t hi = NTC_ADC[i], lo = NTC_ADC[i + 1];
    *milli_c = -20000 + (int32_t)i * 10000 + (hi - (int32_t)adc) * 10000 / (hi - lo);
    return true;
}
