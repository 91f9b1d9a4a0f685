/* test_esp8266_hw.c: the ESP8266 port's hardware layer on the host: its SDK-free arithmetic, and
 * its PWM and MQTT glue against fakes of the SDK's calls (fake_sdk/). */
#include "../ports/esp8266/main/hw.h"
#include "../ports/esp8266/main/light.h"
#include "check.h"
#include "fake_sdk.h"

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

static void pwm_phases_are_set_before_the_first_start(void)
{
    fake_sdk_reset();
    CHECK(light_init(12, 14) == ESP_OK);
    CHECK(fake_sdk.pwm_calls == 3);
    CHECK_STR(fake_sdk.pwm_log[0], "init");
    CHECK_STR(fake_sdk.pwm_log[1], "phases");
    CHECK_STR(fake_sdk.pwm_log[2], "start");
    CHECK(fake_sdk.phases_set && fake_sdk.phases[0] == 0.0f && fake_sdk.phases[1] == 0.0f);

    CHECK(light_set(true, 50, 4000) == ESP_OK);
    CHECK(fake_sdk.pwm_calls == 5);
    CHECK_STR(fake_sdk.pwm_log[3], "duties");
    CHECK_STR(fake_sdk.pwm_log[4], "start");
}

static void pwm_errors_are_returned_and_stop_the_sequence(void)
{
    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 2; /* pwm_set_phases */
    CHECK(light_init(12, 14) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 2); /* never started with unset phases */

    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 1; /* pwm_init */
    CHECK(light_init(12, 14) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 1);

    fake_sdk_reset();
    fake_sdk.pwm_fail_at = 1; /* pwm_set_duties */
    CHECK(light_set(true, 100, 2700) == ESP_FAIL);
    CHECK(fake_sdk.pwm_calls == 1);
}

int main(void)
{
    RUN(light_duties_follow_brightness_and_colour);
    RUN(the_ntc_table_reads_temperatures_and_faults);
    RUN(pwm_phases_are_set_before_the_first_start);
    RUN(pwm_errors_are_returned_and_stop_the_sequence);
    return check_summary();
}
