/* topic.h: the topic scheme dapriot/{type}/{deviceId}/{kind}. */
#ifndef FW_TOPIC_H
#define FW_TOPIC_H

#include "fw.h"

/* True if id is a valid device id: 1..32 characters of [A-Za-z0-9_-]. */
bool fw_device_id_valid(const char *id, size_t len);

/* Writes the topic into out[0..cap), NUL-terminated. Returns its length, or FW_ERR_NO_SPACE /
 * FW_ERR_BAD_TOPIC (invalid id, type or kind). */
int fw_topic_build(char *out, size_t cap, fw_type_t type, const char *device_id, fw_kind_t kind);

/* Parses topic[0..len). On success fills type, kind and the NUL-terminated id. */
fw_err_t fw_topic_parse(const char *topic, size_t len, fw_type_t *type, char id[FW_DEVICE_ID_MAX + 1],
                        fw_kind_t *kind);

#endif
