#include "bulb.h"

void bulb_init(bulb_t *bulb)
{
    bulb->power = false;
    bulb->brightness_pct = 100;
    bulb->color_temp_k = 2700;
}

bool bulb_apply(bulb_t *bulb, const fw_bulb_cmd_t *cmd)
{
    bulb_t before = *bulb;
    switch ((fw_bulb_cmd_name_t)cmd->cmd) {
    case FW_BULB_SET:
        if (cmd->present & FW_BULB_CMD_POWER_BIT)
            bulb->power = cmd->power;
        if (cmd->present & FW_BULB_CMD_BRIGHTNESS_BIT)
            bulb->brightness_pct = (uint8_t)cmd->brightness_pct;
        if (cmd->present & FW_BULB_CMD_COLORTEMP_BIT)
            bulb->color_temp_k = (uint16_t)cmd->color_temp_k;
        break;
    case FW_BULB_TOGGLE: bulb->power = !bulb->power; break;
    case FW_BULB_REPORT: break;
    }
    return before.power != bulb->power || before.brightness_pct != bulb->brightness_pct ||
           before.color_temp_k != bulb->color_temp_k;
}

uint32_t bulb_power_mw(const bulb_t *bulb)
{
    if (!bulb->power)
        return BULB_STANDBY_MW;
    return BULB_STANDBY_MW + BULB_RATED_MW * bulb->brightness_pct / 100u;
}

void bulb_report(const bulb_t *bulb, fw_bulb_state_t *out)
{
    out->power = bulb->power;
    out->brightness_pct = bulb->brightness_pct;
    out->color_temp_k = bulb->color_temp_k;
}
