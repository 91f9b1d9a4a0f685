#include "sousvide.h"

void sousvide_init(sousvide_t *sv)
{
    sv->heater = false;
    sv->relay = false;
    sv->program_active = false;
    sv->sensor_fault = false;
    sv->phase = FW_PHASE_PREHEAT;
    sv->target_dc = 560;
    sv->water_mc = SOUSVIDE_AMBIENT_MC;
    sv->energy_uj = 0;
    sv->duration_s = 0;
    sv->elapsed_ms = 0;
}

bool sousvide_apply(sousvide_t *sv, const fw_sv_cmd_t *cmd)
{
    sousvide_t b = *sv;
    switch ((fw_sv_cmd_name_t)cmd->cmd) {
    case FW_SV_SET:
        if (cmd->present & FW_SV_CMD_TARGET_BIT)
            sv->target_dc = cmd->target_dc;
        if (cmd->present & FW_SV_CMD_HEATER_BIT) {
            sv->heater = cmd->heater;
            sv->program_active = false;
        }
        break;
    case FW_SV_START_PROGRAM:
        sv->target_dc = cmd->target_dc;
        sv->heater = true;
        sv->program_active = true;
        sv->phase = FW_PHASE_PREHEAT;
        sv->duration_s = cmd->duration_s;
        sv->elapsed_ms = 0;
        break;
    case FW_SV_STOP_PROGRAM:
        sv->heater = false;
        sv->program_active = false;
        break;
    case FW_SV_REPORT: break;
    }
    return b.heater != sv->heater || b.target_dc != sv->target_dc || b.program_active != sv->program_active ||
           (sv->program_active && (b.phase != sv->phase || b.duration_s != sv->duration_s ||
                                   b.elapsed_ms != sv->elapsed_ms));
}

static void thermostat(sousvide_t *sv)
{
    int32_t target_mc = sv->target_dc * 100;
    if (!sv->heater || sv->sensor_fault)
        sv->relay = false;
    else if (sv->relay && sv->water_mc >= target_mc)
        sv->relay = false;
    else if (!sv->relay && sv->water_mc < target_mc - SOUSVIDE_HYSTERESIS_MC)
        sv->relay = true;
}

static void model(sousvide_t *sv, uint32_t dt_ms)
{
    int64_t p_mw = (sv->relay ? SOUSVIDE_HEATER_MW : 0) -
                   (int64_t)SOUSVIDE_LOSS_MW_PER_K * (sv->water_mc - SOUSVIDE_AMBIENT_MC) / 1000;
    const int64_t uj_per_mk = (int64_t)SOUSVIDE_CAPACITY_J_PER_K * 1000;
    sv->energy_uj += p_mw * (int64_t)dt_ms; /* mW * ms = uJ */
    int64_t dmk = sv->energy_uj / uj_per_mk;
    sv->energy_uj -= dmk * uj_per_mk;
    sv->water_mc += (int32_t)dmk;
}

bool sousvide_step(sousvide_t *sv, uint32_t dt_ms, const int32_t *sensor_mc)
{
    bool changed = false;
    if (sensor_mc)
        sv->water_mc = *sensor_mc;
    thermostat(sv);
    while (dt_ms > 0) {
        /* Small steps keep the thermostat honest when a port (or a speed-up) passes long intervals. */
        uint32_t dt = dt_ms > 1000 ? 1000 : dt_ms;
        dt_ms -= dt;
        thermostat(sv);
        if (!sensor_mc)
            model(sv, dt);
        if (!sv->program_active || sv->phase == FW_PHASE_DONE)
            continue;
        if (sv->phase == FW_PHASE_PREHEAT && sv->water_mc >= sv->target_dc * 100 - SOUSVIDE_READY_MC) {
            sv->phase = FW_PHASE_COOKING;
            changed = true;
        } else if (sv->phase == FW_PHASE_COOKING) {
            uint32_t before = sv->elapsed_ms / SOUSVIDE_PROGRESS_MS;
            sv->elapsed_ms += dt;
            if (sv->elapsed_ms / 1000 >= sv->duration_s) {
                sv->elapsed_ms = sv->duration_s * 1000;
                sv->phase = FW_PHASE_DONE;
                sv->heater = false;
                thermostat(sv);
                changed = true;
            } else if (sv->elapsed_ms / SOUSVIDE_PROGRESS_MS != before) {
                changed = true;
            }
        }
    }
    return changed;
}

int32_t sousvide_water_dc(const sousvide_t *sv)
{
    int32_t mc = sv->water_mc;
    return mc >= 0 ? (mc + 50) / 100 : -((-mc + 50) / 100);
}

void sousvide_report(const sousvide_t *sv, fw_sv_state_t *out)
{
    out->heater = sv->heater;
    out->target_dc = sv->target_dc;
    int32_t w = sousvide_water_dc(sv);
    out->water_dc = w < -200 ? -200 : w > 1200 ? 1200 : w;
    if (sv->program_active) {
        out->present |= FW_SV_STATE_PROGRAM_BIT;
        out->program.present = 0;
        out->program.duration_s = sv->duration_s;
        out->program.elapsed_s = sv->elapsed_ms / 1000;
        out->program.phase = sv->phase;
    }
}
