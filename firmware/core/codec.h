/* codec.h: every message of the device protocol as a C struct, with a strict decoder and a
 * canonical encoder (tests/contracts/PROTOCOL.md).
 *
 * Each struct starts with `present`, a bit mask of the fields seen (decode) or to write
 * (encode); bit i is the i-th field in the order the field lists below give, which is also the
 * order the encoder writes. Required fields are always written. Temperatures are held in
 * tenths of a degree Celsius (565 = 56.5 degC). Nothing here allocates or keeps state. */
#ifndef FW_CODEC_H
#define FW_CODEC_H

#include "fw.h"

/* Optional-field bits. */
#define FW_BIT(i) ((uint16_t)(1u << (i)))

/* lightbulb state: boot, seq, power, brightnessPct, colorTempK */
typedef struct {
    uint16_t present;
    uint32_t boot, seq;
    bool power;
    uint32_t brightness_pct; /* 0..100 */
    uint32_t color_temp_k;   /* 2700..6500 */
} fw_bulb_state_t;

/* lightbulb telemetry: boot, seq, uptimeS, powerMw */
typedef struct {
    uint16_t present;
    uint32_t boot, seq;
    uint32_t uptime_s;
    uint32_t power_mw; /* 0..100000 */
} fw_bulb_telemetry_t;

typedef enum { FW_PHASE_PREHEAT = 0, FW_PHASE_COOKING, FW_PHASE_DONE } fw_phase_t;

/* program (inside a sousvide state): durationS, elapsedS, phase */
typedef struct {
    uint16_t present;
    uint32_t duration_s; /* 1..259200 */
    uint32_t elapsed_s;  /* 0..259200, time held at target so far */
    uint8_t phase;       /* fw_phase_t */
} fw_program_t;

/* sousvide state: boot, seq, heater, targetTempC, waterTempC, program (optional) */
#define FW_SV_STATE_PROGRAM_BIT FW_BIT(5)
typedef struct {
    uint16_t present;
    uint32_t boot, seq;
    bool heater;           /* regulating towards the target */
    int32_t target_dc;     /* 200..950 */
    int32_t water_dc;      /* -200..1200 */
    fw_program_t program;  /* present iff FW_SV_STATE_PROGRAM_BIT */
} fw_sv_state_t;

/* sousvide telemetry: boot, seq, uptimeS, waterTempC, heating */
typedef struct {
    uint16_t present;
    uint32_t boot, seq;
    uint32_t uptime_s;
    int32_t water_dc;
    bool heating; /* heater element energised right now */
} fw_sv_telemetry_t;

/* ack: boot, seq, id (optional), ok, error (iff !ok), message (optional, only with error) */
#define FW_ACK_ID_BIT      FW_BIT(2)
#define FW_ACK_ERROR_BIT   FW_BIT(4)
#define FW_ACK_MESSAGE_BIT FW_BIT(5)
typedef struct {
    uint16_t present;
    uint32_t boot, seq;
    char id[FW_CMD_ID_MAX + 1];
    bool ok;
    uint8_t error; /* index: 0 = too_large ... 8 = bad_topic, i.e. -(fw_err_t) - 1 */
    char message[FW_TEXT_MAX + 1];
} fw_ack_t;

/* presence: boot, seq, status, heartbeatS (iff online), fw (iff online) */
#define FW_PRESENCE_HEARTBEAT_BIT FW_BIT(3)
#define FW_PRESENCE_FW_BIT        FW_BIT(4)
typedef enum { FW_PRESENCE_ONLINE = 0, FW_PRESENCE_OFFLINE } fw_status_t;
typedef struct {
    uint16_t present;
    uint32_t boot, seq; /* seq 0 only in the last will */
    uint8_t status;     /* fw_status_t */
    uint32_t heartbeat_s;
    char fw[17];
} fw_presence_t;

/* lightbulb cmd: id, cmd, power, brightnessPct, colorTempK */
typedef enum { FW_BULB_SET = 0, FW_BULB_TOGGLE, FW_BULB_REPORT } fw_bulb_cmd_name_t;
#define FW_BULB_CMD_POWER_BIT      FW_BIT(2)
#define FW_BULB_CMD_BRIGHTNESS_BIT FW_BIT(3)
#define FW_BULB_CMD_COLORTEMP_BIT  FW_BIT(4)
typedef struct {
    uint16_t present;
    char id[FW_CMD_ID_MAX + 1];
    uint8_t cmd; /* fw_bulb_cmd_name_t */
    bool power;
    uint32_t brightness_pct;
    uint32_t color_temp_k;
} fw_bulb_cmd_t;

/* sousvide cmd: id, cmd, heater, targetTempC, durationS */
typedef enum { FW_SV_SET = 0, FW_SV_START_PROGRAM, FW_SV_STOP_PROGRAM, FW_SV_REPORT } fw_sv_cmd_name_t;
#define FW_SV_CMD_HEATER_BIT   FW_BIT(2)
#define FW_SV_CMD_TARGET_BIT   FW_BIT(3)
#define FW_SV_CMD_DURATION_BIT FW_BIT(4)
typedef struct {
    uint16_t present;
    char id[FW_CMD_ID_MAX + 1];
    uint8_t cmd; /* fw_sv_cmd_name_t */
    bool heater;
    int32_t target_dc;
    uint32_t duration_s;
} fw_sv_cmd_t;

/* Any message, for code that handles every (type, kind) pair (tests, tools). */
typedef union {
    fw_bulb_state_t bulb_state;
    fw_bulb_telemetry_t bulb_telemetry;
    fw_sv_state_t sv_state;
    fw_sv_telemetry_t sv_telemetry;
    fw_ack_t ack;
    fw_presence_t presence;
    fw_bulb_cmd_t bulb_cmd;
    fw_sv_cmd_t sv_cmd;
} fw_msg_t;

/* What went wrong and where: the field name (sanitised copy of the JSON key) if any. */
typedef struct {
    fw_err_t err;
    char field[25];
} fw_diag_t;

/* Decodes payload[0..len) as the message of (type, kind) into *msg (fully overwritten).
 * Returns FW_OK or the wire error; diag (may be NULL) gets the offending field.
 * Command payloads are checked in this order: too_large, bad_json, bad_id, cmd
 * (missing_field / bad_type / unknown_cmd), then every field in document order, then the
 * rules of the named command. When a command fails after the id check, its id is already
 * filled in (bit 0 of present), so the error can be acked under that id. */
fw_err_t fw_decode(fw_type_t type, fw_kind_t kind, const char *payload, size_t len, fw_msg_t *msg,
                   fw_diag_t *diag);

/* Encodes *msg canonically (no whitespace, field order as above, tenths with one decimal)
 * into out[0..cap), NUL-terminated. *len gets the length. FW_ERR_NO_SPACE if it does not fit,
 * FW_ERR_MISSING_FIELD if a required field or a conditionally required one is absent. */
fw_err_t fw_encode(fw_type_t type, fw_kind_t kind, const fw_msg_t *msg, char *out, size_t cap, size_t *len);

/* Human-readable one-line reason for an ack "message" (printable ASCII, no quotes). */
void fw_diag_message(const fw_diag_t *diag, char *out, size_t cap);

#endif
