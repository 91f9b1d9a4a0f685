#include "outbox.h"

#include <string.h>

void fw_outbox_init(fw_outbox_t *ob)
{
    ob->count = 0;
    ob->dropped = 0;
}

static void remove_at(fw_outbox_t *ob, uint8_t i)
{
    memmove(&ob->slots[i], &ob->slots[i + 1], (size_t)(ob->count - i - 1) * sizeof(ob->slots[0]));
    ob->count--;
}

fw_err_t fw_outbox_put(fw_outbox_t *ob, fw_kind_t kind, const char *payload, size_t len)
{
    if (len > FW_REPORT_MAX)
        return FW_ERR_NO_SPACE;
    if (kind == FW_KIND_STATE) {
        for (uint8_t i = 0; i < ob->count; i++)
            if (ob->slots[i].kind == FW_KIND_STATE && ob->slots[i].state == FW_SLOT_QUEUED) {
                remove_at(ob, i);
                break;
            }
    }
    if (ob->count == FW_OUTBOX_SLOTS) {
        remove_at(ob, 0);
        ob->dropped++;
    }
    fw_outbox_slot_t *s = &ob->slots[ob->count++];
    s->mid = 0;
    s->kind = (uint8_t)kind;
    s->state = FW_SLOT_QUEUED;
    s->len = (uint16_t)len;
    memcpy(s->payload, payload, len);
    return FW_OK;
}

fw_outbox_slot_t *fw_outbox_next(fw_outbox_t *ob)
{
    for (uint8_t i = 0; i < ob->count; i++)
        if (ob->slots[i].state == FW_SLOT_QUEUED)
            return &ob->slots[i];
    return NULL;
}

bool fw_outbox_ack(fw_outbox_t *ob, int32_t mid)
{
    for (uint8_t i = 0; i < ob->count; i++)
        if (ob->slots[i].state == FW_SLOT_IN_FLIGHT && ob->slots[i].mid == mid) {
            remove_at(ob, i);
            return true;
        }
    return false;
}

void fw_outbox_requeue(fw_outbox_t *ob)
{
    for (uint8_t i = 0; i < ob->count; i++)
        ob->slots[i].state = FW_SLOT_QUEUED;
}
