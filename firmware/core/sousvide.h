/* sousvide.h: the sous-vide cooker model.
 *
 * A thermostat drives the heater element towards the target (hysteresis 0.2 degC). Without a
 * sensor, the water follows a first-order thermal model: a 1000 W element heating 4 l of water
 * that loses 4 W per kelvin above the ambient 20 degC (about 3.6 degC per minute when cold).
 * A program (target + duration) preheats, then counts its duration once the water is within
 * 0.5 degC of the target, then turns the heater off and reports "done". */
#ifndef FW_SOUSVIDE_H
#define FW_SOUSVIDE_H

#include "codec.h"

#define SOUSVIDE_HEATER_MW        1000000
#define SOUSVIDE_LOSS_MW_PER_K    4000 /* = 4 mW per milli-kelvin */
#define SOUSVIDE_CAPACITY_J_PER_K 16744
#define SOUSVIDE_AMBIENT_MC       20000
#define SOUSVIDE_HYSTERESIS_MC    200
#define SOUSVIDE_READY_MC         500
#define SOUSVIDE_PROGRESS_MS      60000 /* progress report period while cooking */

typedef struct {
    bool heater;          /* regulating towards the target */
    bool relay;           /* element energised */
    bool program_active;
    bool sensor_fault;    /* the last sensor read failed: the element stays off */
    uint8_t phase;        /* fw_phase_t */
    int32_t target_dc;
    int32_t water_mc;
    int64_t energy_uj;    /* thermal model remainder below one milli-kelvin */
    uint32_t duration_s;
    uint32_t elapsed_ms;  /* time held at target */
} sousvide_t;

/* Heater off, target 56.0 degC, water at ambient, no program. */
void sousvide_init(sousvide_t *sv);
/* Applies a decoded, valid command. A "set" with heater, and stopProgram, end a program.
 * Returns true if the reported state changed. */
bool sousvide_apply(sousvide_t *sv, const fw_sv_cmd_t *cmd);
/* Advances time by dt_ms. sensor_mc is the measured water temperature, or NULL to use the
 * thermal model. While sv->sensor_fault is set the element stays off. Returns true when the reported state changed (a phase change, the heater
 * turned off by a finished program, or a progress step while cooking). */
bool sousvide_step(sousvide_t *sv, uint32_t dt_ms, const int32_t *sensor_mc);
/* Water temperature rounded to tenths. */
int32_t sousvide_water_dc(const sousvide_t *sv);
/* Fills the model fields of a state message (boot and seq are the device's). */
void sousvide_report(const sousvide_t *sv, fw_sv_state_t *out);

#endif
