/* outbox.h: reports (state, ack) waiting for the broker's PUBACK, kept across reconnects.
 *
 * Entries keep their payload exactly as first built, so a re-send carries the same (boot, seq)
 * and the platform can drop the duplicate. A newer state replaces a queued older one (a state
 * is a full snapshot). When full, the oldest entry gives way (usually one in flight, which the
 * broker most likely has already); the protocol heals a real loss: the platform re-sends an
 * unacknowledged command and every reconnect reports the state. */
#ifndef FW_OUTBOX_H
#define FW_OUTBOX_H

#include "fw.h"

#define FW_OUTBOX_SLOTS 4

typedef enum { FW_SLOT_QUEUED = 1, FW_SLOT_IN_FLIGHT = 2 } fw_slot_state_t;

typedef struct {
    int32_t mid;       /* port's message id while in flight */
    uint8_t kind;      /* fw_kind_t */
    uint8_t state;     /* fw_slot_state_t */
    uint16_t len;
    char payload[FW_REPORT_MAX];
} fw_outbox_slot_t;

typedef struct {
    uint8_t count;     /* slots[0..count) in the order they were put */
    uint32_t dropped;
    fw_outbox_slot_t slots[FW_OUTBOX_SLOTS];
} fw_outbox_t;

void fw_outbox_init(fw_outbox_t *ob);
/* Copies a report in. Returns FW_OK, or FW_ERR_NO_SPACE if len is over FW_REPORT_MAX. */
fw_err_t fw_outbox_put(fw_outbox_t *ob, fw_kind_t kind, const char *payload, size_t len);
/* First queued slot, or NULL. */
fw_outbox_slot_t *fw_outbox_next(fw_outbox_t *ob);
/* A PUBACK for mid: frees the slot. Returns true if one matched. */
bool fw_outbox_ack(fw_outbox_t *ob, int32_t mid);
/* The connection dropped: everything in flight must be sent again. */
void fw_outbox_requeue(fw_outbox_t *ob);

#endif
