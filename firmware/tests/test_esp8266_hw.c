/* test_esp8266_hw.c: the ESP8266 port's SDK-free hardware arithmetic. */
#include "../ports/esp8266/main/hw.h"
#include "check.h"

static void light_duties_follow_brightness_and_colour(void)
{
    uint32_t w, c;
    hw_light_duties(false, 100, 4000, &w, &c);
    CHECK(w == 0 && c == 0);
    hw_light_duties(true, 100, 2700, &w, &c);
    CHECK(w == HW_PWM_PERIOD_US && c == 0);
    hw_light_duties(true, 100, 6500, &w, &c);
    CHECK(w == 0 && c == HW_PWM_PERIOD_US);
    hw_light_duties(true, 50, 4600, &w, &c);
    CHECK(w + c == HW_PWM_PERIOD_US / 2 && w == c);
    hw_light_duties(true, 0, 4600, &w, &c);
    CHECK(w == 0 && c == 0);
}

static void the_ntc_table_reads_temperatures_and_faults(void)
{
    int32_t mc = 0;
    CHECK(hw_ntc_to_mc(569, &mc) && mc == 20000);
    CHECK(hw_ntc_to_mc(270, &mc) && mc == 50000);
    CHECK(hw_ntc_to_mc(237, &mc) && mc > 54000 && mc < 56000);
    CHECK(hw_ntc_to_mc(40, &mc) && mc == 120000);
    CHECK(hw_ntc_to_mc(934, &mc) && mc == -20000);
    CHECK(!hw_ntc_to_mc(1023, &mc)); /* open probe */
    CHECK(!hw_ntc_to_mc(0, &mc));    /* shorted probe */
    int32_t last = -100000;
    bool rising = true;
    for (uint16_t adc = 934; adc >= 40; adc--) {
        CHECK(hw_ntc_to_mc(adc, &mc));
        rising = rising && mc >= last;
        last = mc;
    }
    CHECK(rising);
}

int main(void)
{
    RUN(light_duties_follow_brightness_and_colour);
    RUN(the_ntc_table_reads_temperatures_and_faults);
    return check_summary();
}
