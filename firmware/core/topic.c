#include "topic.h"

#include <string.h>

#define ROOT "dapriot/"

bool fw_device_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > FW_DEVICE_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int fw_topic_build(char *out, size_t cap, fw_type_t type, const char *device_id, fw_kind_t kind)
{
    if ((unsigned)type >= FW_TYPE_COUNT || (unsigned)kind >= FW_KIND_COUNT ||
        !fw_device_id_valid(device_id, strlen(device_id)))
        return FW_ERR_BAD_TOPIC;
    const char *parts[] = {ROOT, fw_type_name(type), "/", device_id, "/", fw_kind_name(kind)};
    size_t n = 0;
    for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
        size_t l = strlen(parts[p]);
        if (n + l + 1 > cap)
            return FW_ERR_NO_SPACE;
        memcpy(out + n, parts[p], l);
        n += l;
    }
    out[n] = '\0';
    return (int)n;
}

/* Matches topic[*pos..] against one of names (up to the next '/' or the end). */
static int match_level(const char *topic, size_t len, size_t *pos, const char *(*name)(int), int count)
{
    size_t end = *pos;
    while (end < len && topic[end] != '/')
        end++;
    for (int i = 0; i < count; i++) {
        const char *n = name(i);
        if (strlen(n) == end - *pos && memcmp(n, topic + *pos, end - *pos) == 0) {
            *pos = end;
            return i;
        }
    }
    return -1;
}

static const char *type_at(int i) { return fw_type_name((fw_type_t)i); }
static const char *kind_at(int i) { return fw_kind_name((fw_kind_t)i); }

fw_err_t fw_topic_parse(const char *topic, size_t len, fw_type_t *type, char id[FW_DEVICE_ID_MAX + 1],
                        fw_kind_t *kind)
{
    size_t root = strlen(ROOT);
    if (len < root || memcmp(topic, ROOT, root) != 0)
        return FW_ERR_BAD_TOPIC;
    size_t pos = root;
    int t = match_level(topic, len, &pos, type_at, FW_TYPE_COUNT);
    if (t < 0 || pos >= len || topic[pos] != '/')
        return FW_ERR_BAD_TOPIC;
    size_t id_start = ++pos;
    while (pos < len && topic[pos] != '/')
        pos++;
    size_t id_len = pos - id_start;
    if (!fw_device_id_valid(topic + id_start, id_len) || pos >= len)
        return FW_ERR_BAD_TOPIC;
    pos++;
    int k = match_level(topic, len, &pos, kind_at, FW_KIND_COUNT);
    if (k < 0 || pos != len)
        return FW_ERR_BAD_TOPIC;
    *type = (fw_type_t)t;
    *kind = (fw_kind_t)k;
    memcpy(id, topic + id_start, id_len);
    id[id_len] = '\0';
    return FW_OK;
}
