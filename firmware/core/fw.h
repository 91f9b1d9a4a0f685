/* fw.h: types, limits and error codes shared by the whole firmware core. */
#ifndef FW_H
#define FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_VERSION "1.0.0"

/* Wire limits (tests/contracts/PROTOCOL.md). */
#define FW_DEVICE_ID_MAX 32  /* [A-Za-z0-9_-]{1,32} */
#define FW_CMD_ID_MAX    40  /* [A-Za-z0-9._:-]{1,40} */
#define FW_TEXT_MAX      80  /* ack message: printable ASCII */
#define FW_TOPIC_MAX     64  /* "dapriot/lightbulb/<32>/telemetry" + NUL fits */
#define FW_PAYLOAD_MAX   512 /* any payload, either direction */
#define FW_REPORT_MAX    256 /* largest message the device itself builds */

/* One error type for the whole core: 0 is OK, each negative value names a failure.
 * The first nine are also wire codes, sent in an ack's "error" field (fw_err_code). */
typedef enum {
    FW_OK = 0,
    FW_ERR_TOO_LARGE = -1,     /* "too_large": payload over FW_PAYLOAD_MAX bytes or too many JSON tokens */
    FW_ERR_BAD_JSON = -2,      /* "bad_json": not one well-formed JSON object, or a duplicate key */
    FW_ERR_BAD_ID = -3,        /* "bad_id": command id missing or malformed */
    FW_ERR_UNKNOWN_CMD = -4,   /* "unknown_cmd": command name not known for this device type */
    FW_ERR_MISSING_FIELD = -5, /* "missing_field" */
    FW_ERR_UNKNOWN_FIELD = -6, /* "unknown_field": not part of this message (or of this command) */
    FW_ERR_BAD_TYPE = -7,      /* "bad_type": JSON type or number form not the field's */
    FW_ERR_OUT_OF_RANGE = -8,  /* "out_of_range": right type, value outside the field's range or step */
    FW_ERR_BAD_TOPIC = -9,     /* "bad_topic" */
    FW_ERR_NO_SPACE = -10,     /* local: output buffer or outbox full */
    FW_ERR_OFFLINE = -11,      /* local: the port cannot publish right now */
} fw_err_t;

#define FW_ERR_WIRE_COUNT 9 /* FW_ERR_TOO_LARGE .. FW_ERR_BAD_TOPIC */

/* Wire name of an error ("out_of_range"); "ok" for FW_OK, "internal" for local errors. */
const char *fw_err_code(fw_err_t err);
/* Inverse of fw_err_code for the wire codes; FW_OK if the name is not one. */
fw_err_t fw_err_from_code(const char *name, size_t len);

typedef enum { FW_TYPE_LIGHTBULB = 0, FW_TYPE_SOUSVIDE = 1, FW_TYPE_COUNT } fw_type_t;
typedef enum {
    FW_KIND_STATE = 0,
    FW_KIND_TELEMETRY,
    FW_KIND_ACK,
    FW_KIND_PRESENCE,
    FW_KIND_CMD,
    FW_KIND_COUNT
} fw_kind_t;

const char *fw_type_name(fw_type_t type); /* "lightbulb", "sousvide" */
const char *fw_kind_name(fw_kind_t kind); /* "state", "telemetry", ... */

#endif
