/* contract_check: reads "topic payload" lines (mosquitto_sub -v output) and checks every
 * device-to-platform message against the contract: the topic parses, the payload decodes, and
 * per device (boot, seq) only grows (the last will's seq 0 excepted). Commands are skipped: the
 * platform side sends them, including deliberately broken ones.
 * Prints counts per kind; exits 1 if any message fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "topic.h"

#define MAX_DEVICES 4096

typedef struct {
    char id[FW_DEVICE_ID_MAX + 1];
    fw_type_t type;
    uint32_t boot, seq;
} last_t;

int main(void)
{
    static char line[8192];
    static last_t last[MAX_DEVICES];
    int devices = 0, bad = 0, counts[FW_KIND_COUNT] = {0};
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *space = strchr(line, ' ');
        if (!space)
            continue;
        *space = '\0';
        const char *payload = space + 1;
        fw_type_t type;
        fw_kind_t kind;
        char id[FW_DEVICE_ID_MAX + 1];
        if (fw_topic_parse(line, strlen(line), &type, id, &kind) != FW_OK) {
            printf("bad topic: %s\n", line);
            bad++;
            continue;
        }
        if (kind == FW_KIND_CMD)
            continue;
        fw_msg_t m;
        fw_diag_t diag;
        fw_err_t e = fw_decode(type, kind, payload, strlen(payload), &m, &diag);
        if (e != FW_OK) {
            printf("%s: %s (%s): %s\n", line, fw_err_code(e), diag.field, payload);
            bad++;
            continue;
        }
        counts[kind]++;
        uint32_t boot = m.bulb_state.boot, seq = m.bulb_state.seq; /* common initial fields */
        if (seq == 0)
            continue; /* the last will */
        int d = 0;
        while (d < devices && !(last[d].type == type && strcmp(last[d].id, id) == 0))
            d++;
        if (d == devices) {
            if (devices == MAX_DEVICES)
                continue;
            memcpy(last[d].id, id, sizeof(id));
            last[d].type = type;
            devices++;
        } else if (boot < last[d].boot || (boot == last[d].boot && seq <= last[d].seq)) {
            printf("%s: (boot %u, seq %u) after (boot %u, seq %u)\n", line, boot, seq, last[d].boot, last[d].seq);
            bad++;
        }
        last[d].boot = boot;
        last[d].seq = seq;
    }
    printf("%d devices; state %d, telemetry %d, ack %d, presence %d; %d bad\n", devices, counts[FW_KIND_STATE],
           counts[FW_KIND_TELEMETRY], counts[FW_KIND_ACK], counts[FW_KIND_PRESENCE], bad);
    return bad ? 1 : 0;
}
