/* port.h: everything the core needs from outside. ctx is the port's own state.
 * Every callback must return quickly and never block. */
#ifndef FW_PORT_H
#define FW_PORT_H

#include "fw.h"

typedef struct {
    /* Milliseconds from any fixed origin; may wrap. */
    uint32_t (*now_ms)(void *ctx);
    /* Queues one MQTT publish. For qos 1, *mid gets the id later passed to fw_device_on_published.
     * Returns FW_OK, FW_ERR_OFFLINE or FW_ERR_NO_SPACE. payload is not NUL-terminated for the port. */
    fw_err_t (*publish)(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                        int32_t *mid);
    /* Optional actuators (NULL when there is nothing to drive, e.g. a simulator). */
    void (*set_light)(void *ctx, bool on, uint8_t brightness_pct, uint16_t color_temp_k);
    void (*set_heater)(void *ctx, bool on);
    /* Optional sensor: water temperature in milli-degC. Returns false on a read failure, which
     * keeps the heater element off until a read succeeds. NULL means "no sensor": the core's
     * thermal model supplies the temperature. */
    bool (*read_water_temp)(void *ctx, int32_t *milli_c);
    void *ctx;
} fw_port_t;

#endif
