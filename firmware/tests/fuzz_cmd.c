/* fuzz_cmd.c: libFuzzer target for everything a broker can send a device.
 * Input: first byte picks the device type (even = lightbulb, odd = sousvide), the rest is the
 * cmd payload. Checks, beyond "no crash, no sanitizer report":
 *  - a payload that decodes re-encodes canonically and decodes again to the same bytes;
 *  - a rejection is one of the wire error codes with a printable message;
 *  - a device fed the payload publishes only contract-valid messages, acks it, and keeps its
 *    model within the documented ranges;
 *  - the other decoders (state, telemetry, ack, presence) and the topic parser survive the
 *    same bytes, and a topic that parses builds back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "topic.h"

typedef struct {
    uint32_t now;
    fw_type_t type;
    int acks;
} fuzz_port_t;

static uint32_t fz_now(void *ctx) { return ((fuzz_port_t *)ctx)->now; }

static fw_err_t fz_publish(void *ctx, const char *topic, const char *payload, size_t len, uint8_t qos, bool retain,
                           int32_t *mid)
{
    fuzz_port_t *f = ctx;
    (void)qos;
    (void)retain;
    fw_kind_t kind = FW_KIND_STATE;
    if (strstr(topic, "/ack"))
        kind = FW_KIND_ACK;
    else if (strstr(topic, "/presence"))
        kind = FW_KIND_PRESENCE;
    else if (strstr(topic, "/telemetry"))
        kind = FW_KIND_TELEMETRY;
    fw_msg_t m;
    if (fw_decode(f->type, kind, payload, len, &m, NULL) != FW_OK)
        abort(); /* the device sent something the contract rejects */
    if (kind == FW_KIND_ACK)
        f->acks++;
    *mid = 1;
    return FW_OK;
}

static void check_model(const fw_device_t *dev)
{
    if (dev->type == FW_TYPE_LIGHTBULB) {
        const bulb_t *b = &dev->model.bulb;
        if (b->brightness_pct > 100 || b->color_temp_k < 2700 || b->color_temp_k > 6500)
            abort();
    } else {
        const sousvide_t *s = &dev->model.sv;
        if (s->target_dc < 200 || s->target_dc > 950 || s->duration_s > 259200)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fw_type_t type = (data[0] & 1) ? FW_TYPE_SOUSVIDE : FW_TYPE_LIGHTBULB;
    const char *payload = (const char *)data + 1;
    size_t len = size - 1;

    fw_msg_t m, again;
    fw_diag_t diag;
    fw_err_t e = fw_decode(type, FW_KIND_CMD, payload, len, &m, &diag);
    if (e == FW_OK) {
        char out[FW_PAYLOAD_MAX + 1], out2[FW_PAYLOAD_MAX + 1];
        size_t n = 0, n2 = 0;
        if (fw_encode(type, FW_KIND_CMD, &m, out, sizeof(out), &n) != FW_OK)
            abort();
        if (fw_decode(type, FW_KIND_CMD, out, n, &again, NULL) != FW_OK)
            abort();
        if (fw_encode(type, FW_KIND_CMD, &again, out2, sizeof(out2), &n2) != FW_OK || n != n2 ||
            memcmp(out, out2, n) != 0)
            abort();
    } else {
        if (e > FW_ERR_TOO_LARGE || e < FW_ERR_OUT_OF_RANGE || diag.err != e)
            abort();
        char msg[FW_TEXT_MAX + 1];
        fw_diag_message(&diag, msg, sizeof(msg));
        for (const char *c = msg; *c; c++)
            if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
                abort();
    }
    fw_type_t ttype;
    fw_kind_t tkind;
    char id[FW_DEVICE_ID_MAX + 1], topic[FW_TOPIC_MAX];
    if (fw_topic_parse(payload, len, &ttype, id, &tkind) == FW_OK) { /* the same bytes as a topic */
        int n = fw_topic_build(topic, sizeof(topic), ttype, id, tkind);
        if (n < 0 || (size_t)n != len || memcmp(topic, payload, len) != 0)
            abort();
    }
    for (int k = FW_KIND_STATE; k < FW_KIND_CMD; k++)
        fw_decode(type, (fw_kind_t)k, payload, len, &again, NULL);

    fuzz_port_t fz = {1000, type, 0};
    fw_port_t port = {fz_now, fz_publish, NULL, NULL, NULL, &fz};
    fw_device_t dev;
    fw_device_config_t cfg = {type, "fuzz-1", 1, 1000, 30, 0, 60};
    if (fw_device_init(&dev, &cfg, &port) != FW_OK)
        abort();
    fw_device_on_connect(&dev, &port);
    fw_device_on_command(&dev, &port, payload, len);
    if (fz.acks != 1)
        abort();
    fw_device_on_command(&dev, &port, payload, len); /* a re-send: acked again */
    if (fz.acks != 2)
        abort();
    for (int i = 0; i < 6; i++) {
        fz.now += 2000;
        fw_device_tick(&dev, &port);
    }
    check_model(&dev);
    return 0;
}
