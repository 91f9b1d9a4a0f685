/* bulb.h: the light bulb model: power, brightness 0..100 %, colour temperature 2700..6500 K. */
#ifndef FW_BULB_H
#define FW_BULB_H

#include "codec.h"

#define BULB_RATED_MW   9000u /* at 100 % brightness */
#define BULB_STANDBY_MW 300u

typedef struct {
    bool power;
    uint8_t brightness_pct;
    uint16_t color_temp_k;
} bulb_t;

/* Off, 100 %, 2700 K. */
void bulb_init(bulb_t *bulb);
/* Applies a decoded, valid command (set/toggle; report changes nothing). Returns true if the
 * state changed. */
bool bulb_apply(bulb_t *bulb, const fw_bulb_cmd_t *cmd);
/* Estimated electrical power in milliwatts. */
uint32_t bulb_power_mw(const bulb_t *bulb);
/* Fills the model fields of a state message (boot and seq are the device's). */
void bulb_report(const bulb_t *bulb, fw_bulb_state_t *out);

#endif
