/* test_models.c: the light bulb and the sous-vide cooker on their own. */
#include "bulb.h"
#include "check.h"
#include "sousvide.h"

static void a_bulb_applies_set_and_toggle(void)
{
    bulb_t b;
    bulb_init(&b);
    CHECK(!b.power && b.brightness_pct == 100 && b.color_temp_k == 2700);
    fw_bulb_cmd_t c = {FW_BULB_CMD_BRIGHTNESS_BIT, "c", FW_BULB_SET, false, 40, 0};
    CHECK(bulb_apply(&b, &c));
    CHECK(b.brightness_pct == 40 && !b.power);
    CHECK(!bulb_apply(&b, &c)); /* same value again: no change */
    fw_bulb_cmd_t t = {0, "t", FW_BULB_TOGGLE, false, 0, 0};
    CHECK(bulb_apply(&b, &t) && b.power);
    CHECK(bulb_power_mw(&b) == BULB_STANDBY_MW + BULB_RATED_MW * 40 / 100);
    fw_bulb_cmd_t r = {0, "r", FW_BULB_REPORT, false, 0, 0};
    CHECK(!bulb_apply(&b, &r));
}

static fw_sv_cmd_t sv_cmd(uint8_t name, uint16_t present, bool heater, int32_t target_dc, uint32_t duration_s)
{
    fw_sv_cmd_t c;
    memset(&c, 0, sizeof(c));
    c.present = present;
    c.cmd = name;
    c.heater = heater;
    c.target_dc = target_dc;
    c.duration_s = duration_s;
    return c;
}

static void a_cooker_heats_holds_and_finishes_a_program(void)
{
    sousvide_t sv;
    sousvide_init(&sv);
    fw_sv_cmd_t start = sv_cmd(FW_SV_START_PROGRAM, FW_SV_CMD_TARGET_BIT | FW_SV_CMD_DURATION_BIT, false, 565, 600);
    CHECK(sousvide_apply(&sv, &start));
    CHECK(sv.heater && sv.program_active && sv.phase == FW_PHASE_PREHEAT);
    uint32_t t = 0;
    while (sv.phase == FW_PHASE_PREHEAT && t < 3600000) {
        sousvide_step(&sv, 100, NULL);
        t += 100;
    }
    /* 36.5 K at about 3.6 K/min: ten minutes or a little more */
    CHECK(sv.phase == FW_PHASE_COOKING);
    CHECK(t > 8 * 60000 && t < 14 * 60000);
    int32_t lo = 100000, hi = 0;
    int reports = 0;
    for (uint32_t i = 0; i < 5 * 60 * 10; i++) {
        if (sousvide_step(&sv, 100, NULL))
            reports++;
        lo = sv.water_mc < lo ? sv.water_mc : lo;
        hi = sv.water_mc > hi ? sv.water_mc : hi;
    }
    CHECK(sv.phase == FW_PHASE_COOKING);
    CHECK(lo > 56000 - SOUSVIDE_HYSTERESIS_MC - 100 && hi < 56500 + 200);
    CHECK(reports == 5); /* one progress report per minute */
    fw_sv_state_t st;
    memset(&st, 0, sizeof(st));
    sousvide_report(&sv, &st);
    CHECK(st.program.elapsed_s == 300 && st.program.phase == FW_PHASE_COOKING);
    CHECK(st.water_dc >= 560 && st.water_dc <= 567);
    bool finished = false;
    for (uint32_t i = 0; i < 6 * 60 && !finished; i++)
        finished = sousvide_step(&sv, 1000, NULL) && sv.phase == FW_PHASE_DONE;
    CHECK(finished && !sv.heater && !sv.relay);
    memset(&st, 0, sizeof(st));
    sousvide_report(&sv, &st);
    CHECK(st.program.elapsed_s == 600 && st.program.phase == FW_PHASE_DONE && !st.heater);
    int32_t before = sv.water_mc;
    sousvide_step(&sv, 600000, NULL);
    CHECK(sv.water_mc < before); /* cools once the heater is off */
}

static void a_sensor_reading_replaces_the_model(void)
{
    sousvide_t sv;
    sousvide_init(&sv);
    fw_sv_cmd_t on = sv_cmd(FW_SV_SET, FW_SV_CMD_HEATER_BIT | FW_SV_CMD_TARGET_BIT, true, 600, 0);
    CHECK(sousvide_apply(&sv, &on));
    int32_t cold = 30000, hot = 60500;
    sousvide_step(&sv, 100, &cold);
    CHECK(sv.relay && sv.water_mc == cold);
    sousvide_step(&sv, 100, &hot);
    CHECK(!sv.relay);
    sousvide_step(&sv, 100, &cold);
    CHECK(sv.relay);
    sv.sensor_fault = true;
    sousvide_step(&sv, 100, &cold);
    CHECK(!sv.relay); /* no reading, no heating */
    sv.sensor_fault = false;
    fw_sv_cmd_t off = sv_cmd(FW_SV_SET, FW_SV_CMD_HEATER_BIT, false, 0, 0);
    CHECK(sousvide_apply(&sv, &off));
    sousvide_step(&sv, 100, &cold);
    CHECK(!sv.relay);
}

static void stopping_or_switching_off_ends_a_program(void)
{
    sousvide_t sv;
    sousvide_init(&sv);
    fw_sv_cmd_t start = sv_cmd(FW_SV_START_PROGRAM, FW_SV_CMD_TARGET_BIT | FW_SV_CMD_DURATION_BIT, false, 600, 60);
    sousvide_apply(&sv, &start);
    fw_sv_cmd_t retarget = sv_cmd(FW_SV_SET, FW_SV_CMD_TARGET_BIT, false, 610, 0);
    CHECK(sousvide_apply(&sv, &retarget) && sv.program_active && sv.target_dc == 610);
    fw_sv_cmd_t stop = sv_cmd(FW_SV_STOP_PROGRAM, 0, false, 0, 0);
    CHECK(sousvide_apply(&sv, &stop) && !sv.program_active && !sv.heater);
    CHECK(!sousvide_apply(&sv, &stop));
    sousvide_apply(&sv, &start);
    fw_sv_cmd_t off = sv_cmd(FW_SV_SET, FW_SV_CMD_HEATER_BIT, false, 0, 0);
    CHECK(sousvide_apply(&sv, &off) && !sv.program_active);
}

int main(void)
{
    RUN(a_bulb_applies_set_and_toggle);
    RUN(a_cooker_heats_holds_and_finishes_a_program);
    RUN(a_sensor_reading_replaces_the_model);
    RUN(stopping_or_switching_off_ends_a_program);
    return check_summary();
}
